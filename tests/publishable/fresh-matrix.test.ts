import { useCluster } from '../../fixtures/cluster.ts';
import { proofLane } from '../../fixtures/proof-lane.ts';
import { freshMatrix } from '../../lanes/publishable/fresh-matrix.ts';

proofLane(freshMatrix, { target: useCluster });
