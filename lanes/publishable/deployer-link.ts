import type { AgentInstance } from '../../contracts/ports/node-agent.ts';
import type { Cluster } from '../../contracts/target.ts';
import { evaluatedClusterState, withoutServices } from '../../harness/cluster-authoring.ts';
import type { LaneContext } from '../../harness/define.ts';

export const deployerLinkOperations = ['deployer.applyCluster', 'node-agent.instances'];

/**
 * fresh-smoke's deployer link of deployer → fleet-scheduler → node-agent: a service of the flake's
 * `ultracloud.cluster`, applied through the deployer (never put on fleet-scheduler by the lane), is run by the
 * node-agents as processes with pid metadata, only on the nodes the applied state allows; once an apply drops it,
 * no node-agent runs it anywhere.
 */
export async function deployerLink(ctx: LaneContext<Cluster>): Promise<void> {
  const { deployer, nodeAgent } = ctx.target.ports;
  await ctx.step(
    'deployer → fleet-scheduler → node-agent: a service applied through the deployer is placed and run by node-agents',
    async () => {
      const evaluated = await evaluatedClusterState(ctx);
      const entry = Object.entries(evaluated.services).find(([, s]) => s.replicas > 0);
      ctx.check('the evaluated cluster state names a service with replicas', entry !== undefined);
      const [name, svc] = entry as NonNullable<typeof entry>;
      const agents = ctx.target.descriptor.nodes.filter((n) => n.services['node-agent']).map((n) => n.name);
      const instancesOf = async () => {
        const out: Array<AgentInstance & { node: string }> = [];
        for (const node of agents) {
          const listed = (await nodeAgent.at(node).instances()).instances;
          out.push(...listed.filter((i) => i.service === name && i.running).map((i) => ({ ...i, node })));
        }
        return out;
      };

      await deployer.applyCluster(evaluated);
      const running = await ctx.eventually(
        `node-agents run ${svc.replicas} instances of ${name}, the service applied through the deployer`,
        async () => {
          const found = await instancesOf();
          if (found.length < svc.replicas) throw new Error(`${found.length} running: ${found.map((i) => i.node)}`);
          return found;
        },
        { timeoutMs: 30_000 },
      );
      await ctx.artifact('deployer-link-instances.json', running);
      ctx.check(
        `every instance of ${name} has pid metadata on its node`,
        running.every((i) => Number.isInteger(i.pid) && i.pid > 1),
        running.map((i) => `${i.node}:${i.id}:${i.pid}`).join(', '),
      );
      const outside = running.filter((i) => !svc.nodes.includes(i.node));
      ctx.check(
        `no replica of ${name} runs on a node the applied state does not allow (only ${svc.nodes.join(', ')})`,
        outside.length === 0,
        outside.map((i) => `${i.id} on ${i.node}`).join(', ') || 'none',
      );
      ctx.check(
        `no more than ${svc.replicas} instances of ${name} run`,
        running.length === svc.replicas,
        `${running.length} running`,
      );

      const removed = await deployer.applyCluster(withoutServices(evaluated, [name]));
      ctx.check(
        `the apply without ${name} removes it from the applied state`,
        removed.removed.includes(`service/${name}`),
        JSON.stringify(removed),
      );
      await ctx.eventually(
        `a service removed from the applied state is no longer run anywhere: no node-agent runs ${name}`,
        async () => {
          const left = await instancesOf();
          if (left.length > 0) throw new Error(left.map((i) => `${i.id} on ${i.node}`).join(', '));
        },
        { timeoutMs: 30_000 },
      );
    },
  );
}
