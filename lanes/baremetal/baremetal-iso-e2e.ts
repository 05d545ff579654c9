import type { BaremetalTarget } from '../../contracts/baremetal-target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { runBaremetalIsoProof } from './baremetal-iso-proof.ts';

/**
 * baremetal-iso-e2e: the materialized exact proof runner for the same harness. It requires host KVM (probed by
 * booting a guest) and is blocked otherwise; environment.txt records execution_model=materialized-check-runner and
 * state/environment.txt the vm_accelerator_mode that ran.
 */
export const baremetalIsoE2e = defineLane<BaremetalTarget>({
  name: 'baremetal-iso-e2e',
  group: 'baremetal',
  tags: ['kvm', 'vm', 'slow'],
  summary: 'materialized exact proof runner for the canonical ISO harness, with host KVM and persisted logs and meta',
  run: async (ctx) => {
    ctx.recordEnvironment({ execution_model: 'materialized-check-runner' });
    await runBaremetalIsoProof(ctx as LaneContextWithWaits<BaremetalTarget>, { requireKvm: true });
  },
});
