import { selectedBaremetalTarget } from '../../harness/baremetal.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { baremetalIso } from '../../lanes/baremetal/baremetal-iso.ts';

// SSH forwards: the seed's 127.0.0.1:22231/22232, or ULTRACLOUD_BAREMETAL_SSH_PORTS=<control>,<worker>.
// the selected target's own installer: the lab's by default, a monorepo's ultracloud-iso with ULTRACLOUD_FLAKE
proofLane(baremetalIso, { target: async () => (await selectedBaremetalTarget()).target, timeoutMs: 30 * 60_000 });
