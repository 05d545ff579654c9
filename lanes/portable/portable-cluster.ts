import { z } from 'zod';
import { HarnessError } from '../../contracts/errors.ts';
import { isNewInstance, type NodeHandle } from '../../contracts/node-handle.ts';
import type { Cluster } from '../../contracts/target.ts';
import { runNix, selectFlake } from '../../guards/nix-command.ts';
import type { LaneContext } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import { PathInfo } from './node-store.ts';

/** The nodes of the target that run a service, in topology order. */
export function nodesRunning(cluster: Cluster, service: ServiceName): string[] {
  const names = cluster.descriptor.nodes.filter((n) => n.services[service]).map((n) => n.name);
  if (names.length === 0) throw new HarnessError(`target ${cluster.descriptor.name} runs no ${service}`);
  return names;
}

/**
 * Build `nixosConfigurations.<configuration>`'s system closure on the host (never on the node): the lane's
 * host-built target closure. Blocked when nix is missing.
 */
export async function buildHostClosure(ctx: LaneContextWithWaits<Cluster>, configuration: string): Promise<string> {
  const selection = selectFlake(ctx.target.descriptor.flake);
  const attr = `${selection.flake}#nixosConfigurations.${configuration}.config.system.build.toplevel`;
  const run = await runNix('build', ['--no-link', '--json', attr], {
    offline: selection.offline,
    signal: ctx.signal,
  }).catch((err: Error) => {
    if ((err as { missing?: string[] }).missing) ctx.block(['nix']);
    throw err;
  });
  if (run.exitCode !== 0)
    throw new HarnessError(`nix build ${attr} failed (${run.exitCode}): ${run.stderr.trim().slice(-800)}`);
  const out = (JSON.parse(run.stdout) as Array<{ outputs: { out?: string } }>)[0]?.outputs.out;
  if (!out) throw new HarnessError(`nix build ${attr} printed no output path: ${run.stdout}`);
  ctx.log(`host-built ${configuration}: ${out}`);
  return out;
}

/**
 * `nix path-info --json` of `paths` as the binary cache at `url` holds them, read from the host (never through a
 * node, whose requests to the cache are the lane's evidence). Blocked when nix is missing.
 */
export async function cachePathInfo(
  ctx: LaneContextWithWaits<Cluster>,
  url: string,
  paths: string[],
): Promise<PathInfo[]> {
  const run = await runNix(
    'path-info',
    ['--json', '--store', url, '--option', 'narinfo-cache-positive-ttl', '0', ...paths],
    { offline: true, signal: ctx.signal },
  ).catch((err: Error) => {
    if ((err as { missing?: string[] }).missing) ctx.block(['nix']);
    throw err;
  });
  if (run.exitCode !== 0)
    throw new HarnessError(`nix path-info --store ${url} failed: ${run.stderr.trim().slice(-800)}`);
  return z.array(PathInfo).parse(JSON.parse(run.stdout));
}

/**
 * Restart one service on a node alone, the way an operator does: show that a new process runs it (another pid
 * or a later start time than before the restart), then wait until `healthy` answers again.
 */
export async function restartService(
  ctx: LaneContextWithWaits<Cluster>,
  node: NodeHandle,
  service: ServiceName,
  healthy: () => Promise<unknown>,
): Promise<void> {
  await restartedInstance(ctx, node, service);
  await ctx.eventually(`${service} on ${node.name} answers again after its restart`, healthy, { timeoutMs: 120_000 });
}

/** the message of a rejected call, or null when it succeeded */
export async function rejection(call: () => Promise<unknown>): Promise<string | null> {
  try {
    await call();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Restart `service` on `node` and show the restart happened: a new process (another pid, or the same pid started
 * later) runs the service afterwards. The check is named "<service> on <node> runs in a new process after its restart".
 */
export async function restartedInstance(
  ctx: Pick<LaneContext<Cluster>, 'check' | 'eventually' | 'log'>,
  node: NodeHandle,
  service: ServiceName,
): Promise<void> {
  const before = await node.serviceInstance(service);
  await node.restartService(service);
  const after = await ctx
    .eventually(`${service} on ${node.name} has a running process after its restart`, () =>
      node.serviceInstance(service),
    )
    .catch(() => null);
  ctx.check(
    `${service} on ${node.name} runs in a new process after its restart`,
    after !== null && isNewInstance(before, after),
    `before pid ${before.pid} started at tick ${before.startTicks}; after ${after ? `pid ${after.pid} started at tick ${after.startTicks}` : 'no process'}`,
  );
  ctx.log(`${service} on ${node.name}: pid ${before.pid} → ${after?.pid}`);
}

/**
 * Power `name` back on after a power loss and show it booted anew: its boot id differs from `bootBefore`. The check
 * is named "<node> booted anew after the power loss (its boot id changed)".
 */
export async function powerBackOn(ctx: LaneContext<Cluster>, name: string, bootBefore: string): Promise<void> {
  const node = ctx.target.node(name);
  await node.power.start();
  const bootAfter = await ctx.eventually(`${name} reports a boot after power-on`, () => node.bootId());
  ctx.check(
    `${name} booted anew after the power loss (its boot id changed)`,
    bootAfter !== bootBefore,
    `${bootBefore} → ${bootAfter}`,
  );
}
