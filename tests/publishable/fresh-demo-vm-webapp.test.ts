import { useCluster } from '../../fixtures/cluster.ts';
import { proofLane } from '../../fixtures/proof-lane.ts';
import { freshDemoVmWebapp } from '../../lanes/publishable/fresh-demo-vm-webapp.ts';

proofLane(freshDemoVmWebapp, { target: useCluster });
