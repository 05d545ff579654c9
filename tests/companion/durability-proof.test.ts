import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { durabilityProof } from '../../lanes/companion/durability-proof.ts';

proofLane(durabilityProof, { target: useCluster });
