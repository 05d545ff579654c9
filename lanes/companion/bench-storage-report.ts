import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** One measured operation kind on one size: per-operation latency percentiles and the throughput of the set. */
export const BenchMeasurement = z.object({
  store: z.enum(['lightningstor', 'coronafs']),
  operation: z.enum(['sequential-write', 'sequential-read', 'random-read']),
  sizeBytes: z.number().int().positive(),
  repetitions: z.number().int().positive(),
  p50Ms: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  throughputMiBps: z.number().nonnegative(),
  /** every read of this set matched the sha256 of what was written */
  verified: z.boolean(),
});
export type BenchMeasurement = z.infer<typeof BenchMeasurement>;

export const BenchRegression = z.object({
  key: z.string(),
  metric: z.enum(['p50Ms', 'throughputMiBps']),
  previous: z.number(),
  current: z.number(),
  /** how much worse, in percent (higher latency or lower throughput) */
  worsePercent: z.number(),
});
export type BenchRegression = z.infer<typeof BenchRegression>;

export const BenchStorageResult = z.object({
  lane: z.literal('bench-storage'),
  runId: z.string(),
  measurements: z.array(BenchMeasurement),
  /** the earlier run compared against (its proof root), or null on a first run */
  previous: z.string().nullable(),
  regressions: z.array(BenchRegression),
  regressionThresholdPercent: z.number(),
});
export type BenchStorageResult = z.infer<typeof BenchStorageResult>;

export const benchResultFile = 'bench-storage.json';
export const regressionThresholdPercent = 20;

export function measurementKey(m: Pick<BenchMeasurement, 'store' | 'operation' | 'sizeBytes'>): string {
  return `${m.store} ${m.operation} ${m.sizeBytes}`;
}

/** The nearest-rank percentile of `samples` (ms). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/**
 * Measurements that got worse than `previous` by more than the threshold: p50 latency up or throughput down.
 * A regression is a finding to report, never a failure.
 */
export function regressions(
  previous: readonly BenchMeasurement[],
  current: readonly BenchMeasurement[],
  threshold = regressionThresholdPercent,
): BenchRegression[] {
  const before = new Map(previous.map((m) => [measurementKey(m), m]));
  const found: BenchRegression[] = [];
  for (const m of current) {
    const key = measurementKey(m);
    const old = before.get(key);
    if (!old) continue;
    if (old.p50Ms > 0 && m.p50Ms > old.p50Ms * (1 + threshold / 100)) {
      const worse = ((m.p50Ms - old.p50Ms) / old.p50Ms) * 100;
      found.push({ key, metric: 'p50Ms', previous: old.p50Ms, current: m.p50Ms, worsePercent: round(worse) });
    }
    if (old.throughputMiBps > 0 && m.throughputMiBps < old.throughputMiBps * (1 - threshold / 100)) {
      const worse = ((old.throughputMiBps - m.throughputMiBps) / old.throughputMiBps) * 100;
      found.push({
        key,
        metric: 'throughputMiBps',
        previous: old.throughputMiBps,
        current: m.throughputMiBps,
        worsePercent: round(worse),
      });
    }
  }
  return found;
}

/**
 * The newest earlier run of the lane under `laneDir` (work/bench-storage) that left a valid result, other than
 * `currentRunId`. Run ids sort by time.
 */
export function previousResult(
  laneDir: string,
  currentRunId: string,
): { root: string; result: BenchStorageResult } | null {
  if (!existsSync(laneDir)) return null;
  const runs = readdirSync(laneDir)
    .filter((n) => n !== 'latest' && n !== currentRunId && n < currentRunId)
    .sort()
    .reverse();
  for (const run of runs) {
    const file = join(laneDir, run, benchResultFile);
    if (!existsSync(file)) continue;
    try {
      return { root: join(laneDir, run), result: BenchStorageResult.parse(JSON.parse(readFileSync(file, 'utf8'))) };
    } catch {}
  }
  return null;
}

export function humanSize(bytes: number): string {
  if (bytes >= 1 << 20) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 10) return `${bytes / (1 << 10)} KiB`;
  return `${bytes} B`;
}

/** The markdown table of a result, regressions marked in their row and listed under it. */
export function markdownTable(result: BenchStorageResult): string {
  const worse = new Map<string, BenchRegression[]>();
  for (const r of result.regressions) worse.set(r.key, [...(worse.get(r.key) ?? []), r]);
  const lines = [
    `# bench-storage ${result.runId}`,
    '',
    result.previous ? `compared with ${result.previous}` : 'no earlier run to compare with',
    '',
    '| store | operation | size | reps | p50 ms | p99 ms | MiB/s | sha256 | vs previous |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const m of result.measurements) {
    const r = worse.get(measurementKey(m)) ?? [];
    const note = r.length
      ? r.map((x) => `regression: ${x.metric} ${x.worsePercent}% worse`).join('; ')
      : result.previous
        ? 'ok'
        : '-';
    lines.push(
      `| ${m.store} | ${m.operation} | ${humanSize(m.sizeBytes)} | ${m.repetitions} | ${m.p50Ms} | ${m.p99Ms} | ${m.throughputMiBps} | ${m.verified ? 'ok' : 'MISMATCH'} | ${note} |`,
    );
  }
  lines.push('', `regressions over ${result.regressionThresholdPercent} %: ${result.regressions.length}`);
  return `${lines.join('\n')}\n`;
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}
