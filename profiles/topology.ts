import { z } from 'zod';
import { NodeRole, parseOrExplain, ServiceName } from './descriptor-schema.ts';

/**
 * The six-node harness topology (seed: "the publishable six-node VM-cluster suite ... extends this baseline with
 * worker and optional service nodes"): node01-03 the canonical 3-node HA control plane, node04-05 the
 * native-runtime workers, node06 the gateway node with the optional edge and add-on services.
 */
export const TopologyNode = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'node names are lower-case host names'),
  role: NodeRole,
  /** the bootstrap node runs deployer (seed: "plus deployer on the bootstrap node") */
  bootstrap: z.boolean().default(false),
  services: z.array(ServiceName).min(1),
});
export type TopologyNode = z.infer<typeof TopologyNode>;

export const Topology = z
  .array(TopologyNode)
  .min(1)
  .superRefine((nodes, ctx) => {
    const names = new Set<string>();
    nodes.forEach((n, i) => {
      if (names.has(n.name)) ctx.addIssue({ code: 'custom', message: `duplicate node "${n.name}"`, path: [i, 'name'] });
      names.add(n.name);
      const dup = n.services.find((s, j) => n.services.indexOf(s) !== j);
      if (dup) ctx.addIssue({ code: 'custom', message: `service "${dup}" listed twice`, path: [i, 'services'] });
    });
    const bootstrap = nodes.filter((n) => n.bootstrap);
    if (bootstrap.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `exactly one bootstrap node, found ${bootstrap.length}`, path: [] });
    }
  });
export type Topology = z.infer<typeof Topology>;

const controlPlane = ['chainfire', 'flaredb', 'iam', 'nix-agent'] as const;
const worker = ['node-agent', 'plasmavmc', 'prismnet', 'coronafs'] as const;

export const harnessTopology: Topology = parseOrExplain(
  Topology,
  [
    {
      name: 'node01',
      role: 'control-plane',
      bootstrap: true,
      services: [...controlPlane, 'deployer', 'fleet-scheduler'],
    },
    { name: 'node02', role: 'control-plane', services: [...controlPlane] },
    { name: 'node03', role: 'control-plane', services: [...controlPlane] },
    // node04 also carries a standby chainfire: the temporary learner of chainfire-live-membership-proof
    { name: 'node04', role: 'worker', services: [...worker, 'chainfire'] },
    // node05 also carries a LightningStor replica: the object store survives either of node05 and node06 being lost
    { name: 'node05', role: 'worker', services: [...worker, 'lightningstor'] },
    {
      name: 'node06',
      role: 'gateway',
      services: ['apigateway', 'flashdns', 'fiberlb', 'lightningstor', 'nightlight', 'creditservice', 'k8shost'],
    },
  ],
  'harness topology',
);

export const harnessNodeNames = harnessTopology.map((n) => n.name);

export function topologyNode(name: string, topology: Topology = harnessTopology): TopologyNode {
  const node = topology.find((n) => n.name === name);
  if (!node) throw new Error(`no node "${name}" in the topology (nodes: ${topology.map((n) => n.name).join(', ')})`);
  return node;
}

/** the nodes that run a service, in topology order */
export function nodesRunning(service: ServiceName, topology: Topology = harnessTopology): TopologyNode[] {
  return topology.filter((n) => n.services.includes(service));
}

export function nodesWithRole(role: NodeRole, topology: Topology = harnessTopology): TopologyNode[] {
  return topology.filter((n) => n.role === role);
}

export function bootstrapNode(topology: Topology = harnessTopology): TopologyNode {
  const node = topology.find((n) => n.bootstrap);
  if (!node) throw new Error('the topology has no bootstrap node');
  return node;
}
