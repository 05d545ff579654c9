import { selectedBaremetalTarget } from '../../harness/baremetal.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { baremetalIsoE2e } from '../../lanes/baremetal/baremetal-iso-e2e.ts';

// Requires working KVM (probed by booting a guest): on a host without it the lane is blocked, reported as a skip.
// the selected target's own installer: the lab's by default, a monorepo's ultracloud-iso with ULTRACLOUD_FLAKE
proofLane(baremetalIsoE2e, { target: async () => (await selectedBaremetalTarget()).target, timeoutMs: 30 * 60_000 });
