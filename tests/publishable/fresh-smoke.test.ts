import { useCluster } from '../../fixtures/cluster.ts';
import { proofLane } from '../../fixtures/proof-lane.ts';
import { freshSmoke } from '../../lanes/publishable/fresh-smoke.ts';

proofLane(freshSmoke, { target: useCluster });
