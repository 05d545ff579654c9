import { proofLane } from '../../harness/proof-lane.ts';
import { labBaremetalTarget } from '../../lab/baremetal/lab-baremetal-target.ts';
import { baremetalIso } from '../../lanes/baremetal/baremetal-iso.ts';

// SSH forwards: the seed's 127.0.0.1:22231/22232, or ULTRACLOUD_BAREMETAL_SSH_PORTS=<control>,<worker>.
proofLane(baremetalIso, { target: () => labBaremetalTarget(), timeoutMs: 30 * 60_000 });
