import { type ApigatewayPort, createApigatewayPort } from './apigateway.ts';
import type { PortBinding } from './binding.ts';
import { type ChainfirePort, createChainfirePort } from './chainfire.ts';
import { type CoronafsPort, createCoronafsPort } from './coronafs.ts';
import { type CreditservicePort, createCreditservicePort } from './creditservice.ts';
import { createDeployerPort, type DeployerPort } from './deployer.ts';
import { createFiberlbPort, type FiberlbPort } from './fiberlb.ts';
import { createFlaredbPort, type FlaredbPort } from './flaredb.ts';
import { createFlashdnsPort, type FlashdnsPort } from './flashdns.ts';
import { createFleetSchedulerPort, type FleetSchedulerPort } from './fleet-scheduler.ts';
import { createIamPort, type IamPort } from './iam.ts';
import { createK8shostPort, type K8shostPort } from './k8shost.ts';
import { createLightningstorPort, type LightningstorPort } from './lightningstor.ts';
import { createNightlightPort, type NightlightPort } from './nightlight.ts';
import { createNixAgentPort, type NixAgentPort } from './nix-agent.ts';
import { createNodeAgentPort, type NodeAgentPort } from './node-agent.ts';
import { createPlasmavmcPort, type PlasmavmcPort } from './plasmavmc.ts';
import { createPrismnetPort, type PrismnetPort } from './prismnet.ts';

/** Typed clients for every UltraCloud service, built on one target binding. */
export interface ServicePorts {
  chainfire: ChainfirePort;
  flaredb: FlaredbPort;
  iam: IamPort;
  deployer: DeployerPort;
  nixAgent: NixAgentPort;
  fleetScheduler: FleetSchedulerPort;
  nodeAgent: NodeAgentPort;
  plasmavmc: PlasmavmcPort;
  prismnet: PrismnetPort;
  flashdns: FlashdnsPort;
  fiberlb: FiberlbPort;
  lightningstor: LightningstorPort;
  coronafs: CoronafsPort;
  apigateway: ApigatewayPort;
  nightlight: NightlightPort;
  creditservice: CreditservicePort;
  k8shost: K8shostPort;
}

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
