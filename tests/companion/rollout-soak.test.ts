import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { rolloutSoak } from '../../lanes/companion/rollout-soak.ts';

proofLane(rolloutSoak, { target: useCluster });
