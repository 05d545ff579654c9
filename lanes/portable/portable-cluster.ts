import { HarnessError } from '../../contracts/errors.ts';
import type { NodeHandle } from '../../contracts/node-handle.ts';
import type { Cluster } from '../../contracts/target.ts';
import { runNix, selectFlake } from '../../guards/nix-command.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';

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

/** Restart one service on a node alone, the way an operator does, and wait until `healthy` answers again. */
export async function restartService(
  ctx: LaneContextWithWaits<Cluster>,
  node: NodeHandle,
  service: ServiceName,
  healthy: () => Promise<unknown>,
): Promise<void> {
  await node.restartService(service);
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
