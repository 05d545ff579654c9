import { join, relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { workRoot } from '../helpers/proof-root.ts';
import { durationKey, type LaneDurations, readDurations } from '../reporters/durations.ts';

/**
 * Splits a sharded run (`--shard=i/n`) so that shards take about the same time, by the test files' durations that
 * the last run kept in the work root (.lane-durations.json), instead of Vitest's split by file count: the longest
 * files first, each to the shard with the least time so far. A file without a kept duration counts as the median
 * of those with one. With no durations at all it leaves the split to Vitest. Every shard computes the same split
 * from the same durations file, so the file must be the same on every shard host.
 */
export class DurationShardSequencer extends BaseSequencer {
  override async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { index, count } = this.ctx.config.shard as { index: number; count: number };
    const durations = readDurations(workRoot());
    const keyOf = (spec: TestSpecification) =>
      durationKey(spec.project.name, relative(this.ctx.config.root, spec.moduleId));
    if (!files.some((f) => durations[keyOf(f)] !== undefined)) return super.shard(files);
    const shards = balanceShards(
      files.map((f) => ({ key: keyOf(f), item: f })),
      durations,
      count,
    );
    return shards[index - 1] ?? [];
  }
}

/** Longest-processing-time-first assignment of keyed items to `count` shards; deterministic for equal inputs. */
export function balanceShards<T>(
  items: ReadonlyArray<{ key: string; item: T }>,
  durations: LaneDurations,
  count: number,
): T[][] {
  const known = items.map((i) => durations[i.key]).filter((d): d is number => d !== undefined);
  const sorted = [...known].sort((a, b) => a - b);
  const median = sorted.length ? (sorted[Math.floor((sorted.length - 1) / 2)] as number) : 1;
  const estimated = items
    .map((i) => ({ ...i, ms: durations[i.key] ?? median }))
    .sort((a, b) => b.ms - a.ms || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const shards = Array.from({ length: count }, () => ({ total: 0, items: [] as T[] }));
  for (const e of estimated) {
    const least = shards.reduce((best, s) => (s.total < best.total ? s : best));
    least.total += e.ms;
    least.items.push(e.item);
  }
  return shards.map((s) => s.items);
}

/**
 * The shard of this Vitest invocation (`--shard=i/n` or `--shard i/n` on its command line), exported as
 * ULTRACLOUD_SHARD for its lanes, or null for an unsharded run.
 */
export function shardOfRun(
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const at = argv.findIndex((a) => a === '--shard' || a.startsWith('--shard='));
  if (at >= 0) {
    const arg = argv[at] as string;
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
    if (value) env.ULTRACLOUD_SHARD = value;
  }
  return env.ULTRACLOUD_SHARD || null;
}

/**
 * A sharded run also writes Vitest's blob report into its work root (blob/blob-<i>-<n>.json), where
 * `ucproof merge-proofs` collects it with the shard's proof roots for `vitest --merge-reports`.
 */
export function shardBlobReporter(shard: string | null, root: string): Array<[string, { outputFile: string }]> {
  if (!shard) return [];
  return [['blob', { outputFile: join(root, 'blob', `blob-${shard.replace('/', '-')}.json`) }]];
}
