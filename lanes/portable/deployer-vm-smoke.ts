import type { NixAgentStatus } from '../../contracts/ports/nix-agent.ts';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { applyClusterFor, clusterAuthoringOperations } from './control-plane-class.ts';
import { buildHostClosure, nodesRunning } from './portable-cluster.ts';

/**
 * deployer-vm-smoke: the smallest regression for the deployer -> nix-agent boundary. A node receives a prebuilt
 * target closure and activates it without guest-side compilation.
 */
export const deployerVmSmoke = defineLane<Cluster>({
  name: 'deployer-vm-smoke',
  group: 'portable',
  tags: ['needs-root'],
  summary: 'nix-agent can activate a host-built target closure without guest-side compilation',
  requires: [
    'deployer.desiredSystem',
    ...clusterAuthoringOperations,
    'deployer.publishDesiredSystem',
    'nix-agent.status',
  ],
  async run(ctx: LaneContextWithWaits<Cluster>) {
    const cluster = ctx.target;
    const node = nodesRunning(cluster, 'nix-agent').at(-1) as string;
    const agent = cluster.ports.nixAgent.at(node);
    const deployer = cluster.ports.deployer;
    ctx.recordEnvironment({ vm_accelerator_mode: 'none', kvm_required: 'false', nix_agent_node: node });

    const closure = await ctx.step(`build ${node}'s target closure on the host`, async () => {
      const out = await buildHostClosure(ctx, node);
      ctx.check('the target closure is a host-built store path', /^\/nix\/store\/[a-z0-9]{32}-/.test(out), out);
      return out;
    });

    await applyClusterFor(ctx, deployer, node);

    const published = await ctx.step(`publish it as ${node}'s desired system through the deployer`, async () => {
      const d = await deployer.publishDesiredSystem(node, {
        target_system: closure,
        health_check_command: `test -f ${closure}/nixos-version`,
      });
      ctx.check(
        'the deployer serves the published desired system',
        (await deployer.desiredSystem(node)).target_system === closure,
      );
      return d;
    });

    const status = await ctx.step('nix-agent activates it without guest-side compilation', async () => {
      const s = await ctx.eventually(
        'nix-agent converges on the published generation',
        async () => {
          const x = await agent.status();
          if (x.desired?.generation !== published.generation || x.observed === 'activating') {
            throw new Error(`observed ${x.observed} for generation ${x.desired?.generation ?? 'none'}`);
          }
          return x;
        },
        { timeoutMs: 60_000 },
      );
      await ctx.artifact('nix-agent-status.json', s);
      ctx.check('activated without guest-side compilation', !s.built && !s.buildRequired, describe(s));
      ctx.check('nix-agent reports the desired system active', s.observed === 'active', describe(s));
      ctx.check('the active generation is the host-built closure', s.current?.system === closure, describe(s));
      return s;
    });

    await ctx.step("the node's system profile points at the shipped closure", async () => {
      const resolved = (await cluster.node(node).succeed(`readlink -f ${status.profile}/system`)).trim();
      ctx.check('the system profile resolves to the host-built closure', resolved === closure, resolved);
    });

    await ctx.step('the deployer records the node as active on that generation', async () => {
      const observed = await ctx.eventually('the deployer holds the observed status active', async () => {
        const o = (await deployer.inspect(node))?.observed;
        if (o?.observed !== 'active' || o.generation !== published.generation) throw new Error(JSON.stringify(o));
        return o;
      });
      await ctx.artifact('deployer-observed.json', observed);
    });
  },
});

function describe(s: NixAgentStatus): string {
  return `observed=${s.observed} current=${s.current?.system ?? 'none'} built=${s.built} buildRequired=${s.buildRequired} (${s.detail ?? ''})`;
}
