import type { BaremetalTarget } from '../../contracts/baremetal-target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { runBaremetalIsoProof } from './baremetal-iso-proof.ts';

/**
 * baremetal-iso: the canonical install path for QEMU-as-bare-metal validation. TCG is allowed (slower); the
 * accelerator that ran is recorded as vm_accelerator_mode.
 */
export const baremetalIso = defineLane<BaremetalTarget>({
  name: 'baremetal-iso',
  group: 'baremetal',
  tags: ['vm', 'slow'],
  summary:
    'boots ultracloud-iso, waits for /api/v1/phone-home, downloads the flake bundle, runs Disko, reboots, confirms the first post-install boot markers, and waits for nix-agent to report the desired system active for baremetal-qemu-control-plane and baremetal-qemu-worker',
  run: (ctx) => runBaremetalIsoProof(ctx as LaneContextWithWaits<BaremetalTarget>),
});
