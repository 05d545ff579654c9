import { useCluster } from '../../fixtures/cluster.ts';
import { proofLane } from '../../fixtures/proof-lane.ts';
import { chainfireLiveMembership } from '../../lanes/publishable/chainfire-live-membership.ts';

proofLane(chainfireLiveMembership, { target: useCluster });
