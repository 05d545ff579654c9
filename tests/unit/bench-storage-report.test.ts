import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BenchMeasurement,
  BenchStorageResult,
  benchResultFile,
  markdownTable,
  percentile,
  previousResult,
  regressions,
} from '../../lanes/companion/bench-storage-report.ts';

const m = (p50Ms: number, throughputMiBps: number): BenchMeasurement => ({
  store: 'lightningstor',
  operation: 'sequential-read',
  sizeBytes: 1 << 20,
  repetitions: 4,
  p50Ms,
  p99Ms: p50Ms,
  throughputMiBps,
  verified: true,
});

describe('bench-storage report', () => {
  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  it('reports latency up or throughput down by more than 20 % as a regression, and nothing within 20 %', () => {
    expect(regressions([m(10, 100)], [m(11.9, 81)])).toEqual([]);
    const found = regressions([m(10, 100)], [m(12.5, 70)]);
    expect(found.map((r) => [r.metric, r.worsePercent])).toEqual([
      ['p50Ms', 25],
      ['throughputMiBps', 30],
    ]);
    // faster is never a regression
    expect(regressions([m(10, 100)], [m(2, 900)])).toEqual([]);
  });

  it('compares with the newest earlier run that left a valid result, never the current one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ucp-bench-prev-'));
    try {
      const write = (run: string, content: string) => {
        mkdirSync(join(dir, run), { recursive: true });
        writeFileSync(join(dir, run, benchResultFile), content);
      };
      const result = (runId: string) =>
        JSON.stringify({
          lane: 'bench-storage',
          runId,
          measurements: [m(10, 100)],
          previous: null,
          regressions: [],
          regressionThresholdPercent: 20,
        });
      write('20260101T000000Z-aaaa', result('20260101T000000Z-aaaa'));
      write('20260102T000000Z-bbbb', '{"not": "a result"}');
      write('20260103T000000Z-cccc', result('20260103T000000Z-cccc'));
      expect(previousResult(dir, '20260103T000000Z-cccc')?.root).toBe(join(dir, '20260101T000000Z-aaaa'));
      expect(previousResult(dir, '20260101T000000Z-aaaa')).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('marks a regression in its table row', () => {
    const current = [m(20, 100)];
    const table = markdownTable(
      BenchStorageResult.parse({
        lane: 'bench-storage',
        runId: 'r2',
        measurements: current,
        previous: '/work/bench-storage/r1',
        regressions: regressions([m(10, 100)], current),
        regressionThresholdPercent: 20,
      }),
    );
    expect(table).toContain(
      '| lightningstor | sequential-read | 1 MiB | 4 | 20 | 20 | 100 | ok | regression: p50Ms 100% worse |',
    );
    expect(table).toContain('regressions over 20 %: 1');
  });
});
