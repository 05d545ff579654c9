import { join } from 'node:path';
import {
  type Endpoint,
  InvalidInputError,
  type NodeSpec,
  parseOrExplain,
  type ServiceName,
  TargetDescriptor,
} from '../descriptor-schema.ts';
import { projectRoot } from '../paths.ts';
import { harnessTopology, type Topology } from '../topology.ts';
import { canonicalTargetAttributes } from './canonical-target-attributes.ts';

/**
 * The API port of every reference-lab service: the same on every node that runs it (each lab node has its own
 * address, so ports never collide). The service listens there (UCP_LISTEN) and answers GET /health.
 */
export const labServicePorts = {
  chainfire: 7000,
  flaredb: 7100,
  iam: 7200,
  deployer: 7300,
  'nix-agent': 7400,
  'fleet-scheduler': 7500,
  'node-agent': 7600,
  plasmavmc: 7700,
  prismnet: 7800,
  flashdns: 7900,
  fiberlb: 8000,
  lightningstor: 8100,
  coronafs: 8200,
  apigateway: 8300,
  nightlight: 8400,
  creditservice: 8500,
  k8shost: 8600,
} as const satisfies Record<ServiceName, number>;

/**
 * Listeners besides a service's API, keyed `<service>.<purpose>` like NodeSpec.extraEndpoints: chainfire's etcd
 * client and peer ports (its Raft), flashdns's DNS port.
 */
export const labExtraPorts = {
  'chainfire.etcd': { port: 2379, scheme: 'etcd' },
  'chainfire.etcd-peer': { port: 2380, scheme: 'tcp' },
  'flashdns.dns': { port: 53, scheme: 'dns' },
} as const satisfies Record<string, { port: number; scheme: Endpoint['scheme'] }>;

export interface ReferenceLabOptions {
  /** each node's address, as the lab assigned it at boot (node name → address) */
  addresses: Record<string, string>;
  /** the lab's state directory, work/lab/<lab-id>: consoles are nodes/<node>/console.log under it */
  labRoot: string;
  /** the repository holding the reference flake (default: this one) */
  repoRoot?: string;
  topology?: Topology;
  name?: string;
}

/** The `reference-lab` target: the reference flake at <repo>/lab and the six-node topology on lab hosts. */
export function referenceLabDescriptor(options: ReferenceLabOptions): TargetDescriptor {
  const topology = options.topology ?? harnessTopology;
  const missing = topology.map((n) => n.name).filter((n) => !options.addresses[n]);
  if (missing.length > 0) {
    throw new InvalidInputError(`reference lab descriptor: no address for node(s) ${missing.join(', ')}`, [
      'addresses',
    ]);
  }
  const nodes = topology.map((n): NodeSpec => {
    const address = options.addresses[n.name] as string;
    const services: NodeSpec['services'] = {};
    for (const s of n.services) services[s] = { host: address, port: labServicePorts[s], scheme: 'http' };
    const extraEndpoints: Record<string, Endpoint> = {};
    for (const [key, { port, scheme }] of Object.entries(labExtraPorts)) {
      if (n.services.includes(key.split('.')[0] as ServiceName)) extraEndpoints[key] = { host: address, port, scheme };
    }
    return {
      name: n.name,
      role: n.role,
      address,
      launcher: { kind: 'lab-netns' },
      console: { kind: 'file', path: join(options.labRoot, 'nodes', n.name, 'console.log') },
      ssh: { host: address, port: 22, user: 'root' },
      services,
      extraEndpoints,
    };
  });
  const descriptor = {
    name: options.name ?? 'reference-lab',
    kind: 'reference-lab',
    flake: join(options.repoRoot ?? projectRoot, 'lab'),
    attributes: canonicalTargetAttributes(),
    nodes,
  };
  return parseOrExplain(TargetDescriptor, descriptor, 'reference-lab target descriptor');
}
