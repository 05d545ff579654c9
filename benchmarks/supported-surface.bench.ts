import { rmSync } from 'node:fs';
import { afterAll, bench, describe } from 'vitest';
import { scanSupportedSurface } from '../guards/supported-surface.ts';
import { grepSurface, rgSurface } from './supported-surface-grep.ts';
import { generateTree } from './supported-surface-tree.ts';

// supported-surface-guard on a generated 50,000-file monorepo (both engines), against `rg -n` and `grep -rE` with the
// same patterns.
// benchmarks/supported-surface-compare.ts runs the same pair alternately and records the ratio in
// benchmarks/results/supported-surface.md. Run: vitest bench --run --project unit benchmarks/supported-surface.bench.ts
const tree = generateTree(50_000);
const options = { iterations: 7, time: 0, warmupIterations: 1, warmupTime: 0 };

describe(`supported-surface on ${tree.files} files`, () => {
  afterAll(() => rmSync(tree.root, { recursive: true, force: true }), 300_000);

  for (const engine of ['ripgrep', 'node'] as const) {
    bench(
      `ucproof guard supported-surface (scanSupportedSurface, ${engine} engine)`,
      async () => {
        const findings = await scanSupportedSurface(tree.root, undefined, engine);
        if (findings.length !== tree.planted)
          throw new Error(`expected ${tree.planted} findings, got ${findings.length}`);
      },
      options,
    );
  }

  bench(
    'rg -n with the same patterns',
    () => {
      const lines = rgSurface(tree.root);
      if (lines.length < tree.planted) throw new Error(`rg printed ${lines.length} lines, fewer than planted`);
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
