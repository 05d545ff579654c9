import { HarnessError } from '../../../contracts/errors.ts';
import type { ServicePorts } from '../../../contracts/ports/index.ts';
import type { ServiceName, TargetDescriptor } from '../../../profiles/descriptor-schema.ts';
import { createApigatewayPort } from './apigateway.ts';
import type { PortBinding } from './binding.ts';
import { createChainfirePort } from './chainfire.ts';
import { createCoronafsPort } from './coronafs.ts';
import { createCreditservicePort } from './creditservice.ts';
import { createDeployerPort } from './deployer.ts';
import { createFiberlbPort } from './fiberlb.ts';
import { createFlaredbPort } from './flaredb.ts';
import { createFlashdnsPort } from './flashdns.ts';
import { createFleetSchedulerPort } from './fleet-scheduler.ts';
import { createIamPort } from './iam.ts';
import { createK8shostPort } from './k8shost.ts';
import { createLightningstorPort } from './lightningstor.ts';
import { createNightlightPort } from './nightlight.ts';
import { createNixAgentPort } from './nix-agent.ts';
import { createNodeAgentPort } from './node-agent.ts';
import { createPlasmavmcPort } from './plasmavmc.ts';
import { createPrismnetPort } from './prismnet.ts';

/** The lab port clients' view of a descriptor: each service's instances, in topology order. */
export function descriptorBinding(d: TargetDescriptor): PortBinding {
  return {
    targetName: d.name,
    instances: (service: ServiceName) =>
      d.nodes.flatMap((n) => (n.services[service] ? [{ node: n.name, endpoint: n.services[service] }] : [])),
    on: (node: string, service: ServiceName) => {
      const n = d.nodes.find((x) => x.name === node);
      if (!n) throw new HarnessError(`target ${d.name} has no node "${node}"`);
      const e = n.services[service];
      if (!e) throw new HarnessError(`node ${node} of ${d.name} runs no ${service}`);
      return e;
    },
  };
}

/** The reference lab's HTTP clients for every service, on one binding. */
export function createServicePorts(binding: PortBinding): ServicePorts {
  return {
    chainfire: createChainfirePort(binding),
    flaredb: createFlaredbPort(binding),
    iam: createIamPort(binding),
    deployer: createDeployerPort(binding),
    nixAgent: createNixAgentPort(binding),
    fleetScheduler: createFleetSchedulerPort(binding),
    nodeAgent: createNodeAgentPort(binding),
    plasmavmc: createPlasmavmcPort(binding),
    prismnet: createPrismnetPort(binding),
    flashdns: createFlashdnsPort(binding),
    fiberlb: createFiberlbPort(binding),
    lightningstor: createLightningstorPort(binding),
    coronafs: createCoronafsPort(binding),
    apigateway: createApigatewayPort(binding),
    nightlight: createNightlightPort(binding),
    creditservice: createCreditservicePort(binding),
    k8shost: createK8shostPort(binding),
  };
}
