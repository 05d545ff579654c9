import type { PortBinding } from './binding.ts';
import { type ChainfirePort, createChainfirePort } from './chainfire.ts';
import { type CoronafsPort, createCoronafsPort } from './coronafs.ts';
import { type CreditservicePort, createCreditservicePort } from './creditservice.ts';
import { type DeployerPort, createDeployerPort } from './deployer.ts';
import { type FiberlbPort, createFiberlbPort } from './fiberlb.ts';
import { type FlaredbPort, createFlaredbPort } from './flaredb.ts';
import { type FlashdnsPort, createFlashdnsPort } from './flashdns.ts';
import { type FleetSchedulerPort, createFleetSchedulerPort } from './fleet-scheduler.ts';
import { type IamPort, createIamPort } from './iam.ts';
import { type K8shostPort, createK8shostPort } from './k8shost.ts';
import { type LightningstorPort, createLightningstorPort } from './lightningstor.ts';
import { type NightlightPort, createNightlightPort } from './nightlight.ts';
import { type NixAgentPort, createNixAgentPort } from './nix-agent.ts';
import { type NodeAgentPort, createNodeAgentPort } from './node-agent.ts';
import { type PlasmavmcPort, createPlasmavmcPort } from './plasmavmc.ts';
import { type PrismnetPort, createPrismnetPort } from './prismnet.ts';
import { type ApigatewayPort, createApigatewayPort } from './apigateway.ts';

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
