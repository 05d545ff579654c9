import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { providerVmRealityProof } from '../../lanes/companion/provider-vm-reality-proof.ts';

proofLane(providerVmRealityProof, { target: useCluster });
