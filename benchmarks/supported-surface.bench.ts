import { rmSync } from 'node:fs';
import { afterAll, bench, describe } from 'vitest';
import { scanSupportedSurface } from '../guards/supported-surface.ts';
import { grepSurface } from './supported-surface-grep.ts';
import { generateTree } from './supported-surface-tree.ts';

// supported-surface-guard on a generated 50,000-file monorepo, against `grep -rE` with the same patterns.
// benchmarks/supported-surface-compare.ts runs the same pair alternately and records the ratio in
// benchmarks/results/supported-surface.md. Run: vitest bench --run --project unit benchmarks/supported-surface.bench.ts
const tree = generateTree(50_000);
const options = { iterations: 7, time: 0, warmupIterations: 1, warmupTime: 0 };

describe(`supported-surface on ${tree.files} files`, () => {
  afterAll(() => rmSync(tree.root, { recursive: true, force: true }), 300_000);

  bench(
    'ucproof guard supported-surface (scanSupportedSurface)',
    () => {
      const findings = scanSupportedSurface(tree.root);
      if (findings.length !== tree.planted)
        throw new Error(`expected ${tree.planted} findings, got ${findings.length}`);
    },
    options,
  );

  bench(
    'grep -rE with the same patterns',
    () => {
      const lines = grepSurface(tree.root);
      if (lines.length < tree.planted) throw new Error(`grep printed ${lines.length} lines, fewer than planted`);
    },
    options,
  );
});
