import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { coreControlPlaneOpsProof } from '../../lanes/companion/core-control-plane-ops-proof.ts';

proofLane(coreControlPlaneOpsProof, { target: useCluster });
