import type { NixAgentStatus } from '../../contracts/ports/nix-agent.ts';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { applyClusterFor, clusterAuthoringOperations } from './control-plane-class.ts';
import { buildHostClosure, nodesRunning } from './portable-cluster.ts';

/** a second canonical control-plane system, different from the node's own: the candidate that will be rejected */
const candidateConfiguration = 'netboot-control-plane';

/**
 * deployer-vm-rollback: the smallest reproducible nix-agent rollback proof. It publishes a desired system with a
 * failing health_check_command, expects observed status rolled-back, and confirms the node does not stay on the
 * rejected target generation.
 */
export const deployerVmRollback = defineLane<Cluster>({
  name: 'deployer-vm-rollback',
  group: 'portable',
  tags: ['needs-root', 'disruptive'],
  summary: 'a failing health_check_command ends rolled-back and the node leaves the rejected generation',
  requires: [
    ...clusterAuthoringOperations,
    'deployer.publishDesiredSystem',
    'deployer.shipToBinaryCache',
    'nix-agent.status',
  ],
  async run(ctx: LaneContextWithWaits<Cluster>) {
    const cluster = ctx.target;
    const node = nodesRunning(cluster, 'nix-agent').at(-1) as string;
    const agent = cluster.ports.nixAgent.at(node);
    const deployer = cluster.ports.deployer;
    ctx.recordEnvironment({ vm_accelerator_mode: 'none', kvm_required: 'false', nix_agent_node: node });

    /** publish, then wait for nix-agent's verdict on exactly that generation */
    const publishAndSettle = async (target: string, check: string, property: string) => {
      const d = await deployer.publishDesiredSystem(node, { target_system: target, health_check_command: check });
      return ctx.eventually(
        property,
        async () => {
          const s = await agent.status();
          if (s.desired?.generation !== d.generation || s.observed === 'activating') {
            throw new Error(`observed ${s.observed} for generation ${s.desired?.generation ?? 'none'}`);
          }
          return { status: s, generation: d.generation };
        },
        { timeoutMs: 60_000 },
      );
    };

    await applyClusterFor(ctx, deployer, node);

    const [good, candidate] = await ctx.step(
      'build the known-good and the candidate closures on the host and ship them to the binary cache',
      async () => {
        const built = [await buildHostClosure(ctx, node), await buildHostClosure(ctx, candidateConfiguration)];
        ctx.check('the candidate is a different closure', built[0] !== built[1], built.join(' vs '));
        await deployer.shipToBinaryCache(built);
        return built as [string, string];
      },
    );

    await ctx.step(`${node} runs the known-good system`, async () => {
      const { status } = await publishAndSettle(
        good,
        `test -f ${good}/nixos-version`,
        'nix-agent settles on the known-good system',
      );
      ctx.check(
        'the known-good system is active',
        status.observed === 'active' && status.current?.system === good,
        describe(status),
      );
    });

    const rejected = await ctx.step('publish a desired system with a failing health_check_command', async () => {
      const failing = `echo "health check: ${candidateConfiguration} is not healthy on ${node}" >&2; exit 1`;
      return publishAndSettle(candidate, failing, 'nix-agent reaches a verdict on the candidate');
    });

    await ctx.step('observed status is rolled-back', async () => {
      const s = rejected.status;
      await ctx.artifact('nix-agent-status.json', s);
      ctx.check(
        'the failing health check ran',
        (s.lastHealthCheck?.exitCode ?? 0) !== 0,
        JSON.stringify(s.lastHealthCheck),
      );
      ctx.check('nix-agent reports rolled-back', s.observed === 'rolled-back', describe(s));
      const observed = await ctx.eventually('the deployer holds the observed status rolled-back', async () => {
        const o = (await deployer.inspect(node))?.observed;
        if (o?.generation !== rejected.generation) throw new Error(JSON.stringify(o));
        return o;
      });
      await ctx.artifact('deployer-observed.json', observed);
      ctx.check('the deployer records rolled-back', observed.observed === 'rolled-back', JSON.stringify(observed));
    });

    await ctx.step('the node does not stay on the rejected target generation', async () => {
      const s = await agent.status();
      ctx.check('the node does not stay on the rejected generation', s.current?.system !== candidate, describe(s));
      ctx.check('the node is back on the known-good generation', s.current?.system === good, describe(s));
      const resolved = (await cluster.node(node).succeed(`readlink -f ${s.profile}/system`)).trim();
      ctx.check("the node's system profile resolves to the known-good closure", resolved === good, resolved);
    });
  },
});

function describe(s: NixAgentStatus): string {
  return `observed=${s.observed} current=${s.current?.system ?? 'none'} (${s.detail ?? ''})`;
}
