import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { chainfireLiveMembership } from '../../lanes/publishable/chainfire-live-membership.ts';

proofLane(chainfireLiveMembership, { target: useCluster });
