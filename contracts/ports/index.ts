import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import { type ApigatewayPort, apigatewayOperations } from './apigateway.ts';
import { type ChainfirePort, chainfireOperations } from './chainfire.ts';
import { type CoronafsPort, coronafsOperations } from './coronafs.ts';
import { type CreditservicePort, creditserviceOperations } from './creditservice.ts';
import { type DeployerPort, deployerOperations } from './deployer.ts';
import { type FiberlbPort, fiberlbOperations } from './fiberlb.ts';
import { type FlaredbPort, flaredbOperations } from './flaredb.ts';
import { type FlashdnsPort, flashdnsOperations } from './flashdns.ts';
import { type FleetSchedulerPort, fleetSchedulerOperations } from './fleet-scheduler.ts';
import { type IamPort, iamOperations } from './iam.ts';
import { type K8shostPort, k8shostOperations } from './k8shost.ts';
import { type LightningstorPort, lightningstorOperations } from './lightningstor.ts';
import { type NightlightPort, nightlightOperations } from './nightlight.ts';
import { type NixAgentPort, nixAgentOperations } from './nix-agent.ts';
import { type NodeAgentPort, nodeAgentOperations } from './node-agent.ts';
import { type PlasmavmcPort, plasmavmcOperations } from './plasmavmc.ts';
import { type PrismnetPort, prismnetOperations } from './prismnet.ts';

/** Typed clients for every UltraCloud service: what a cluster lane calls, whatever target answers. */
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

export type PortKey = keyof ServicePorts;

/** The port of each service, keyed as lanes reach it (`cluster.ports.nixAgent`) and as descriptors name it. */
export const portServices = {
  chainfire: 'chainfire',
  flaredb: 'flaredb',
  iam: 'iam',
  deployer: 'deployer',
  nixAgent: 'nix-agent',
  fleetScheduler: 'fleet-scheduler',
  nodeAgent: 'node-agent',
  plasmavmc: 'plasmavmc',
  prismnet: 'prismnet',
  flashdns: 'flashdns',
  fiberlb: 'fiberlb',
  lightningstor: 'lightningstor',
  coronafs: 'coronafs',
  apigateway: 'apigateway',
  nightlight: 'nightlight',
  creditservice: 'creditservice',
  k8shost: 'k8shost',
} as const satisfies Record<PortKey, ServiceName>;

/** Every operation of every port. */
export const portOperations = {
  chainfire: chainfireOperations,
  flaredb: flaredbOperations,
  iam: iamOperations,
  deployer: deployerOperations,
  nixAgent: nixAgentOperations,
  fleetScheduler: fleetSchedulerOperations,
  nodeAgent: nodeAgentOperations,
  plasmavmc: plasmavmcOperations,
  prismnet: prismnetOperations,
  flashdns: flashdnsOperations,
  fiberlb: fiberlbOperations,
  lightningstor: lightningstorOperations,
  coronafs: coronafsOperations,
  apigateway: apigatewayOperations,
  nightlight: nightlightOperations,
  creditservice: creditserviceOperations,
  k8shost: k8shostOperations,
};

/** Operations that only choose an instance (`at(node)`) and return the port again, never a call. */
export const navigationOperations: readonly string[] = ['at'];

/** `service.operation` as lanes declare and results report it, e.g. `chainfire.put`, `nix-agent.status`. */
export type OperationName = `${ServiceName}.${string}`;

export function operationName(key: PortKey, operation: string): OperationName {
  return `${portServices[key]}.${operation}`;
}

/** Compile-time proof that each operation list names every member of its port. */
type Covers<P, L extends readonly unknown[]> = Exclude<keyof P, L[number]> extends never ? true : false;
export const operationListsAreComplete: {
  readonly [K in PortKey]: Covers<ServicePorts[K], (typeof portOperations)[K]>;
} = {
  chainfire: true,
  flaredb: true,
  iam: true,
  deployer: true,
  nixAgent: true,
  fleetScheduler: true,
  nodeAgent: true,
  plasmavmc: true,
  prismnet: true,
  flashdns: true,
  fiberlb: true,
  lightningstor: true,
  coronafs: true,
  apigateway: true,
  nightlight: true,
  creditservice: true,
  k8shost: true,
};
