import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { freshSmoke } from '../../lanes/publishable/fresh-smoke.ts';

proofLane(freshSmoke, { target: useCluster });
