import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane, type LaneContext, type LaneDefinition } from '../../harness/define.ts';
import { nodesRunning } from '../portable/portable-cluster.ts';
import {
  type BenchMeasurement,
  BenchStorageResult,
  benchResultFile,
  humanSize,
  markdownTable,
  percentile,
  previousResult,
  regressions,
  regressionThresholdPercent,
  round,
} from './bench-storage-report.ts';

/** A size and how often it is written and read per store. */
export interface BenchSize {
  bytes: number;
  repetitions: number;
}

/** 4 KiB to 64 MiB, repetitions scaled so a two-core host finishes in a few minutes. */
export const defaultBenchSizes: readonly BenchSize[] = [
  { bytes: 4 << 10, repetitions: 16 },
  { bytes: 1 << 20, repetitions: 6 },
  { bytes: 16 << 20, repetitions: 3 },
  { bytes: 64 << 20, repetitions: 2 },
];

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

function shuffled(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

function measurement(
  store: BenchMeasurement['store'],
  operation: BenchMeasurement['operation'],
  size: BenchSize,
  samples: number[],
  verified: boolean,
): BenchMeasurement {
  const totalMs = samples.reduce((a, b) => a + b, 0);
  const mib = (size.bytes * samples.length) / (1 << 20);
  return {
    store,
    operation,
    sizeBytes: size.bytes,
    repetitions: samples.length,
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    throughputMiBps: totalMs > 0 ? round(mib / (totalMs / 1000)) : 0,
    verified,
  };
}

/** Reads every index in `order` through `read`, timing each and comparing its sha256 with what was written. */
async function readSet(
  order: number[],
  written: readonly string[],
  read: (i: number) => Promise<Uint8Array | null>,
): Promise<{ samples: number[]; mismatches: string[] }> {
  const samples: number[] = [];
  const mismatches: string[] = [];
  for (const i of order) {
    const { value, ms } = await timed(() => read(i));
    samples.push(ms);
    const got = value ? sha256(value) : 'nothing';
    if (got !== written[i]) mismatches.push(`#${i}: wrote ${written[i]?.slice(0, 12)}, read ${got.slice(0, 12)}`);
  }
  return { samples, mismatches };
}

async function benchLightningstor(ctx: LaneContext<Cluster>, tag: string, sizes: readonly BenchSize[]) {
  const store = ctx.target.ports.lightningstor;
  const bucket = `bench-storage-${tag}`;
  await store.createBucket(bucket, { lane: 'bench-storage' });
  const out: BenchMeasurement[] = [];
  for (const size of sizes) {
    const keys = Array.from({ length: size.repetitions }, (_, i) => `${humanSize(size.bytes).replace(' ', '')}/${i}`);
    const written: string[] = [];
    const writes: number[] = [];
    for (const key of keys) {
      const body = randomBytes(size.bytes);
      written.push(sha256(body));
      writes.push((await timed(() => store.putObject(bucket, key, body))).ms);
      ctx.defer(`delete lightningstor object ${bucket}/${key}`, async () => {
        await store.deleteObject(bucket, key);
      });
    }
    const get = async (i: number) => (await store.getObject(bucket, keys[i] as string))?.body ?? null;
    const seq = await readSet(
      keys.map((_, i) => i),
      written,
      get,
    );
    const rnd = await readSet(shuffled(keys.length), written, get);
    const bad = [...seq.mismatches, ...rnd.mismatches];
    ctx.check(
      `every ${humanSize(size.bytes)} object read back, in order and in random order, has the sha256 of the bytes written`,
      bad.length === 0,
      bad.slice(0, 5).join('; '),
    );
    out.push(measurement('lightningstor', 'sequential-write', size, writes, true));
    out.push(measurement('lightningstor', 'sequential-read', size, seq.samples, seq.mismatches.length === 0));
    out.push(measurement('lightningstor', 'random-read', size, rnd.samples, rnd.mismatches.length === 0));
    ctx.log(`lightningstor ${humanSize(size.bytes)} x${size.repetitions} measured`);
  }
  return out;
}

async function benchCoronafs(ctx: LaneContext<Cluster>, tag: string, sizes: readonly BenchSize[]) {
  const holder = nodesRunning(ctx.target, 'coronafs')[0] as string;
  const fs = ctx.target.ports.coronafs.at(holder);
  const name = `bench-storage-${tag}`;
  const capacity = Math.max(...sizes.map((s) => s.bytes * s.repetitions));
  await fs.createVolume(name, capacity);
  await fs.attach(name, holder);
  ctx.defer(`detach coronafs volume ${name} from ${holder}`, async () => {
    if ((await fs.volume(name)).attachedTo === holder) await fs.detach(name, holder);
  });
  const out: BenchMeasurement[] = [];
  for (const size of sizes) {
    const offsets = Array.from({ length: size.repetitions }, (_, i) => i * size.bytes);
    const written: string[] = [];
    const writes: number[] = [];
    for (const offset of offsets) {
      const block = randomBytes(size.bytes);
      written.push(sha256(block));
      writes.push((await timed(() => fs.write(name, holder, offset, block))).ms);
    }
    const read = (i: number) => fs.read(name, offsets[i] as number, size.bytes);
    const seq = await readSet(
      offsets.map((_, i) => i),
      written,
      read,
    );
    const rnd = await readSet(shuffled(offsets.length), written, read);
    const bad = [...seq.mismatches, ...rnd.mismatches];
    ctx.check(
      `every ${humanSize(size.bytes)} block read back from volume ${name}, in order and at random offsets, has the sha256 of the bytes written`,
      bad.length === 0,
      bad.slice(0, 5).join('; '),
    );
    out.push(measurement('coronafs', 'sequential-write', size, writes, true));
    out.push(measurement('coronafs', 'sequential-read', size, seq.samples, seq.mismatches.length === 0));
    out.push(measurement('coronafs', 'random-read', size, rnd.samples, rnd.mismatches.length === 0));
    ctx.log(`coronafs ${humanSize(size.bytes)} x${size.repetitions} measured on ${holder}`);
  }
  return out;
}

/**
 * The seed's bench-storage: throughput and p50/p99 latency of LightningStor objects and CoronaFS volume blocks
 * from 4 KiB to 64 MiB, written and read back sequentially and in random order. Not a gate: a read whose sha256
 * differs from what was written fails the lane; slowness and a regression over 20 % against the previous run are
 * reported in bench-storage.json and bench-storage.md, never failed.
 */
export function benchStorageLane(sizes: readonly BenchSize[] = defaultBenchSizes): LaneDefinition<Cluster> {
  return defineLane<Cluster>({
    name: 'bench-storage',
    group: 'companion',
    tags: ['needs-root'],
    summary: 'LightningStor object and CoronaFS volume throughput and p50/p99 latency, 4 KiB to 64 MiB, reads verified',
    requires: [
      'coronafs.attach',
      'coronafs.createVolume',
      'coronafs.detach',
      'coronafs.read',
      'coronafs.volume',
      'coronafs.write',
      'lightningstor.createBucket',
      'lightningstor.deleteObject',
      'lightningstor.getObject',
      'lightningstor.putObject',
    ],
    async run(ctx) {
      const tag = randomBytes(3).toString('hex');
      const range = `${humanSize(Math.min(...sizes.map((s) => s.bytes)))} to ${humanSize(Math.max(...sizes.map((s) => s.bytes)))}`;
      const objects = await ctx.step(
        `lightningstor: objects of ${range} read back, in order and in random order, with the sha256 of the bytes written`,
        () => benchLightningstor(ctx, tag, sizes),
      );
      const blocks = await ctx.step(
        `coronafs: volume blocks of ${range} read back, in order and at random offsets, with the sha256 of the bytes written`,
        () => benchCoronafs(ctx, tag, sizes),
      );
      await ctx.step('results: bench-storage.json and bench-storage.md, compared with the previous run', async () => {
        const runId = basename(ctx.proofRoot);
        const previous = previousResult(dirname(ctx.proofRoot), runId);
        const measurements = [...objects, ...blocks];
        const result = BenchStorageResult.parse({
          lane: 'bench-storage',
          runId,
          measurements,
          previous: previous?.root ?? null,
          regressions: previous ? regressions(previous.result.measurements, measurements) : [],
          regressionThresholdPercent,
        });
        await ctx.artifact(benchResultFile, result);
        await ctx.artifact('bench-storage.md', markdownTable(result));
        for (const r of result.regressions) {
          ctx.log(`regression (reported, not failed): ${r.key} ${r.metric} ${r.previous} → ${r.current}`);
        }
        ctx.check(
          'every measurement was taken on verified reads',
          measurements.every((m) => m.verified),
          measurements
            .filter((m) => !m.verified)
            .map((m) => `${m.store} ${m.operation} ${m.sizeBytes}`)
            .join(', '),
        );
      });
    },
  });
}

export const benchStorage = benchStorageLane();
