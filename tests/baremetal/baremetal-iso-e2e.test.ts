import { proofLane } from '../../harness/proof-lane.ts';
import { labBaremetalTarget } from '../../lab/baremetal/lab-baremetal-target.ts';
import { baremetalIsoE2e } from '../../lanes/baremetal/baremetal-iso-e2e.ts';

// Requires working KVM (probed by booting a guest): on a host without it the lane is blocked, reported as a skip.
proofLane(baremetalIsoE2e, { target: () => labBaremetalTarget(), timeoutMs: 30 * 60_000 });
