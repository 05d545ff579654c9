import type { Placement } from '../../contracts/ports/fleet-scheduler.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';

/** replicas of a service per node, e.g. { node04: 1, node05: 1 } */
export type Spread = Record<string, number>;

export function spreadOf(placements: Placement[], service: string): Spread {
  const out: Spread = {};
  for (const p of placements) if (p.service === service) out[p.node] = (out[p.node] ?? 0) + 1;
  return out;
}

export function formatSpread(s: Spread): string {
  const entries = Object.entries(s).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([n, c]) => `${n}=${c}`).join(' ') : '(none)';
}

/**
 * Wait, as the named property, until fleet-scheduler places `service` exactly as `want` and every replica's
 * node-agent reports it running.
 */
export function expectSpread(
  ctx: LaneContextWithWaits<Cluster>,
  property: string,
  service: string,
  want: Spread,
  timeoutMs = 30_000,
): Promise<Placement[]> {
  return ctx.eventually(
    property,
    async () => {
      const placed = (await ctx.target.ports.fleetScheduler.placements()).instances.filter(
        (p) => p.service === service,
      );
      const got = spreadOf(placed, service);
      const notRunning = placed.filter((p) => !p.running).map((p) => p.id);
      if (formatSpread(got) !== formatSpread(want) || notRunning.length) {
        throw new Error(
          `placed ${formatSpread(got)}, want ${formatSpread(want)}; not running: ${notRunning.join(', ') || 'none'}`,
        );
      }
      return placed;
    },
    { timeoutMs },
  );
}
