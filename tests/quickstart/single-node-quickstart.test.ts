import { proofLane } from '../../harness/proof-lane.ts';
import { selectedQuickstartTarget } from '../../harness/quickstart.ts';
import { singleNodeQuickstart } from '../../lanes/quickstart/single-node-quickstart.ts';

// The selected target's own single-node VM runner: the reference flake's by default, a monorepo's with
// ULTRACLOUD_FLAKE. KVM when it boots, TCG otherwise (recorded as vm_accelerator_mode).
proofLane(singleNodeQuickstart, { target: () => selectedQuickstartTarget(), timeoutMs: 25 * 60_000 });
