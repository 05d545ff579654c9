import type { MetricSample } from '../../contracts/ports/nightlight.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';

const times = (samples: MetricSample[]) => samples.map((s) => s.t).join(', ') || '(none)';

/**
 * NightLight: a range query answers the samples from its start to its end, both included, and none outside it.
 * The series carries the run tag; the port has no way to delete samples, so they stay in the store.
 */
export async function proveNightlightRange(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const metrics = ctx.target.ports.nightlight;
  const series = `fresh-matrix-${tag}`;
  await ctx.step(
    'nightlight: a range query answers the samples at its start and end and none outside them',
    async () => {
      const t0 = Date.now() - 60_000;
      const at = [0, 1000, 2000, 3000, 4000].map((d) => t0 + d);
      const ingested = await metrics.ingest(at.map((t, i) => ({ series, t, v: i })));
      ctx.check('all five samples are acknowledged', ingested.accepted === 5, JSON.stringify(ingested));
      const all = await metrics.query(series);
      ctx.check(
        'a query without a range answers all five samples in time order',
        times(all) === at.join(', '),
        times(all),
      );
      const [, start, mid, end] = at as [number, number, number, number, number];
      const range = await metrics.query(series, { from: start, to: end });
      ctx.check(
        `a query from ${start} to ${end} answers exactly the samples at ${start}, ${mid} and ${end}`,
        times(range) === [start, mid, end].join(', '),
        times(range),
      );
      const point = await metrics.query(series, { from: mid, to: mid });
      ctx.check(
        `a query from ${mid} to ${mid} answers exactly the sample at ${mid}`,
        point.length === 1 && point[0]?.t === mid && point[0]?.v === 2,
        JSON.stringify(point),
      );
    },
  );
}
