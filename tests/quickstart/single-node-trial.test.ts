import { proofLane } from '../../harness/proof-lane.ts';
import { selectedQuickstartTarget } from '../../harness/quickstart.ts';
import { singleNodeTrial } from '../../lanes/quickstart/single-node-quickstart.ts';

// The public alias of single-node-quickstart: the same lane, its own proof root under work/single-node-trial/.
proofLane(singleNodeTrial, { target: () => selectedQuickstartTarget(), timeoutMs: 25 * 60_000 });
