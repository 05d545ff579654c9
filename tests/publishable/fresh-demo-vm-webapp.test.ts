import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { freshDemoVmWebapp } from '../../lanes/publishable/fresh-demo-vm-webapp.ts';

proofLane(freshDemoVmWebapp, { target: useCluster });
