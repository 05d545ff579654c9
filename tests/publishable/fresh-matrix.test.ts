import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { freshMatrix } from '../../lanes/publishable/fresh-matrix.ts';

proofLane(freshMatrix, { target: useCluster });
