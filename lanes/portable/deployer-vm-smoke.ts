import type { NixAgentStatus } from '../../contracts/ports/nix-agent.ts';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { applyClusterFor, clusterAuthoringOperations } from './control-plane-class.ts';
import { buildLogsOn, closureOn, forgetOn, pathInfoOn } from './node-store.ts';
import { buildHostClosure, cachePathInfo, nodesRunning } from './portable-cluster.ts';

/** a configuration of the reference flake whose closure the lane builds but never ships to the cache */
const unshippedConfiguration = 'netboot-all-in-one';

/**
 * deployer-vm-smoke: the smallest regression for the deployer -> nix-agent boundary. A node with a Nix store of
 * its own receives a host-built target closure through the signed binary cache the deployer names
 * (binary_cache_url), and activates it without guest-side compilation: the node's store holds the closure as
 * substituted from that cache (signed by it, built by nobody there), and a closure the cache does not hold is not
 * activated (nix-agent reports a failure, it does not build it).
 */
export const deployerVmSmoke = defineLane<Cluster>({
  name: 'deployer-vm-smoke',
  group: 'portable',
  tags: ['needs-root'],
  summary: 'nix-agent can activate a host-built target closure without guest-side compilation',
  requires: [
    'deployer.binaryCacheRequests',
    'deployer.desiredSystem',
    ...clusterAuthoringOperations,
    'deployer.publishDesiredSystem',
    'deployer.shipToBinaryCache',
    'nix-agent.status',
  ],
  async run(ctx: LaneContextWithWaits<Cluster>) {
    const cluster = ctx.target;
    const node = nodesRunning(cluster, 'nix-agent').at(-1) as string;
    const handle = cluster.node(node);
    const agent = cluster.ports.nixAgent.at(node);
    const deployer = cluster.ports.deployer;
    ctx.recordEnvironment({ vm_accelerator_mode: 'none', kvm_required: 'false', nix_agent_node: node });

    const { closure, unshipped } = await ctx.step(`build ${node}'s target closure on the host`, async () => {
      const out = await buildHostClosure(ctx, node);
      ctx.check('the target closure is a host-built store path', /^\/nix\/store\/[a-z0-9]{32}-/.test(out), out);
      return { closure: out, unshipped: await buildHostClosure(ctx, unshippedConfiguration) };
    });

    await ctx.step(
      `${node}'s Nix store is its own: a closure built on the host and never shipped is not in it`,
      async () => {
        const [info] = await pathInfoOn(handle, [unshipped]);
        ctx.check(
          "a host-built closure that was never shipped is not valid in the node's store",
          info !== undefined && info.narHash === undefined,
          JSON.stringify(info),
        );
      },
    );

    const shipped = await ctx.step('ship the closure into the binary cache the deployer names', async () => {
      await deployer.shipToBinaryCache([closure]);
      const { binary_cache_url: url } = await deployer.binaryCacheRequests();
      ctx.check('the deployer serves a binary cache', typeof url === 'string', String(url));
      const [cached] = await cachePathInfo(ctx, url as string, [closure]);
      ctx.check('the binary cache holds the shipped closure', cached?.narHash !== undefined, JSON.stringify(cached));
      // a node that still holds the closure (and its derivation, and a build log of it) from an earlier run proves
      // nothing about this one: it starts without them
      await forgetOn(handle, [closure, ...(cached?.deriver ? [cached.deriver] : [])]);
      return { cacheLogLength: (await deployer.binaryCacheRequests()).requests.length };
    });

    await applyClusterFor(ctx, deployer, node);

    const published = await ctx.step(`publish it as ${node}'s desired system through the deployer`, async () => {
      const d = await deployer.publishDesiredSystem(node, {
        target_system: closure,
        health_check_command: `test -f ${closure}/nixos-version`,
      });
      const served = await deployer.desiredSystem(node);
      ctx.check('the deployer serves the published desired system', served.target_system === closure);
      ctx.check(
        'the desired system names the binary cache to substitute it from (binary_cache_url)',
        typeof served.binary_cache_url === 'string' && /^https?:\/\//.test(served.binary_cache_url),
        JSON.stringify(served),
      );
      return { ...d, cacheUrl: served.binary_cache_url as string };
    });

    const status = await ctx.step('nix-agent activates it without guest-side compilation', async () => {
      const s = await settle(ctx, agent, published.generation, 'nix-agent converges on the published generation');
      await ctx.artifact('nix-agent-status.json', s);
      ctx.check('nix-agent reports the desired system active', s.observed === 'active', describe(s));
      ctx.check('activated without guest-side compilation', !s.built && !s.buildRequired, describe(s));
      ctx.check('the active generation is the host-built closure', s.current?.system === closure, describe(s));
      return s;
    });

    await ctx.step(
      `${node}'s own store holds the closure as substituted from the signed cache, built nowhere there`,
      async () => {
        const paths = await closureOn(handle, closure);
        ctx.check("the closure is valid in the node's store", paths.includes(closure), paths.join(' '));
        const local = await pathInfoOn(handle, paths);
        const cached = await cachePathInfo(ctx, published.cacheUrl, paths);
        await ctx.artifact('node-store-path-info.json', { node: local, cache: cached });
        const unsigned = local.filter((info) => {
          const cacheSigs = cached.find((c) => c.path === info.path)?.signatures ?? [];
          return cacheSigs.length === 0 || !cacheSigs.every((sig) => info.signatures?.includes(sig));
        });
        ctx.check(
          "every path of the closure carries the binary cache's signature in the node's store",
          local.length > 0 && unsigned.length === 0,
          unsigned.map((i) => `${i.path}: ${JSON.stringify(i.signatures ?? [])}`).join('; ') || `${local.length} paths`,
        );
        const built = local.filter((info) => info.ultimate === true);
        ctx.check(
          "no path of the closure was built in the node's store (none is ultimate)",
          built.length === 0,
          built.map((i) => i.path).join(' '),
        );
        const derivers = local.flatMap((i) => (i.deriver ? [i.deriver] : []));
        const drvs = await pathInfoOn(handle, derivers);
        ctx.check(
          "no derivation of the closure is in the node's store",
          drvs.every((d) => d.narHash === undefined),
          JSON.stringify(drvs),
        );
        const logs = await buildLogsOn(handle, derivers);
        ctx.check("the node's store holds no build log of the closure's derivation", logs.length === 0, logs.join(' '));
      },
    );

    await ctx.step("the binary cache's log shows the node fetching the narinfo and the NAR", async () => {
      const cached = await cachePathInfo(ctx, published.cacheUrl, [closure]);
      const nar = cached[0]?.url;
      const hash = closure.slice('/nix/store/'.length, '/nix/store/'.length + 32);
      const log = await deployer.binaryCacheRequests();
      await ctx.artifact('binary-cache-requests.json', log);
      const fromNode = log.requests
        .slice(shipped.cacheLogLength)
        .filter((r) => r.remote_address === handle.address && r.status === 200);
      ctx.check(
        "the node fetched the closure's narinfo from the cache",
        fromNode.some((r) => r.method === 'GET' && r.path === `/${hash}.narinfo`),
        `${hash}.narinfo: ${JSON.stringify(fromNode)}`,
      );
      ctx.check(
        "the node fetched the closure's NAR from the cache",
        nar !== undefined && fromNode.some((r) => r.method === 'GET' && r.path === `/${nar}`),
        `${nar}: ${JSON.stringify(fromNode)}`,
      );
    });

    await ctx.step("the node's system profile points at the shipped closure", async () => {
      const resolved = (await handle.succeed(`readlink -f ${status.profile}/system`)).trim();
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

    await ctx.step('a closure the cache does not hold is not activated and not built on the node', async () => {
      const d = await deployer.publishDesiredSystem(node, {
        target_system: unshipped,
        health_check_command: `test -f ${unshipped}/nixos-version`,
      });
      const s = await settle(ctx, agent, d.generation, 'nix-agent settles on the unshipped closure');
      await ctx.artifact('nix-agent-status-unshipped.json', s);
      ctx.check('nix-agent reports the unshipped closure failed', s.observed === 'failed', describe(s));
      ctx.check('nix-agent did not build the unshipped closure', !s.built, describe(s));
      ctx.check('the node stays on the shipped closure', s.current?.system === closure, describe(s));
      const [info] = await pathInfoOn(handle, [unshipped]);
      ctx.check(
        "the unshipped closure is not valid in the node's store",
        info !== undefined && info.narHash === undefined,
        JSON.stringify(info),
      );
      // leave the node on the shipped closure as its desired system
      await deployer.publishDesiredSystem(node, {
        target_system: closure,
        health_check_command: `test -f ${closure}/nixos-version`,
      });
    });
  },
});

/** wait for nix-agent's verdict on exactly one generation */
function settle(
  ctx: LaneContextWithWaits<Cluster>,
  agent: { status(): Promise<NixAgentStatus> },
  generation: number,
  what: string,
): Promise<NixAgentStatus> {
  return ctx.eventually(
    what,
    async () => {
      const x = await agent.status();
      if (x.desired?.generation !== generation || x.observed === 'activating') {
        throw new Error(`observed ${x.observed} for generation ${x.desired?.generation ?? 'none'}`);
      }
      return x;
    },
    { timeoutMs: 60_000 },
  );
}

function describe(s: NixAgentStatus): string {
  return `observed=${s.observed} current=${s.current?.system ?? 'none'} built=${s.built} buildRequired=${s.buildRequired} (${s.detail ?? ''})`;
}
