import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { scanSupportedSurface } from '../guards/supported-surface.ts';
import { projectRoot } from '../helpers/proof-root.ts';
import { grepArgs, grepSurface } from './supported-surface-grep.ts';
import { generateTree } from './supported-surface-tree.ts';

/**
 * Times supported-surface-guard against `grep -rE` with the same patterns on a generated 50,000-file monorepo
 * (alternating runs after one warm-up each, medians) and writes benchmarks/results/supported-surface.md.
 * Run: node benchmarks/supported-surface-compare.ts [runs]
 */
const runs = Number(process.argv[2] ?? 9);
const load = loadavg()[0]?.toFixed(1);
const tree = generateTree(50_000);
try {
  const time = (fn: () => unknown) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  const findings = scanSupportedSurface(tree.root);
  const grepLines = grepSurface(tree.root);
  const scanner: number[] = [];
  const grep: number[] = [];
  for (let i = 0; i < runs; i++) {
    scanner.push(time(() => scanSupportedSurface(tree.root)));
    grep.push(time(() => grepSurface(tree.root)));
  }
  const cli: number[] = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    cli.push(
      time(() => {
        const r = spawnSync(process.execPath, [
          join(projectRoot, 'cli/main.ts'),
          'guard',
          'supported-surface',
          '--root',
          tree.root,
          '--json',
        ]);
        if (r.status !== 1) throw new Error(`ucproof guard supported-surface exited ${r.status}`);
      }),
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const s = median(scanner);
  const g = median(grep);
  const report = `# supported-surface-guard vs grep -rE

Produced by \`node benchmarks/supported-surface-compare.ts ${runs}\` (also \`vitest bench benchmarks/supported-surface.bench.ts\`).

Tree: ${tree.files} generated files (${(tree.bytes / 2 ** 20).toFixed(0)} MiB) in the monorepo layout, ${tree.planted} planted violations.
Host: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}, Linux ${release()}, Node ${process.version}, shared with other jobs (1-minute load average ${load} at the start).
Runs: ${runs} alternating runs each after one warm-up (page cache warm); medians.

| | median | min | max | findings |
| --- | ---: | ---: | ---: | ---: |
| \`scanSupportedSurface\` (ucproof guard supported-surface) | ${s.toFixed(0)} ms | ${Math.min(...scanner).toFixed(0)} ms | ${Math.max(...scanner).toFixed(0)} ms | ${findings.length} |
| \`ucproof guard supported-surface --json\` end to end (Node start-up included) | ${median(cli).toFixed(0)} ms | ${Math.min(...cli).toFixed(0)} ms | ${Math.max(...cli).toFixed(0)} ms | exit 1 |
| \`grep ${grepArgs('ROOT').slice(0, -3).join(' ')} -e PATTERN ROOT\` | ${g.toFixed(0)} ms | ${Math.min(...grep).toFixed(0)} ms | ${Math.max(...grep).toFixed(0)} ms | ${grepLines.length} lines |

**Ratio grep / guard: ${(g / s).toFixed(2)}×** (above 1: the guard is faster).

grep reads every file of the tree and knows nothing of paths, so its ${grepLines.length} lines are not the guard's
${findings.length} findings in general (it cannot exclude test modules, tests/, benches, examples or archived helpers
named in docs); on this tree every planted line is a real finding. The guard prunes subtrees no path glob can reach,
reads only candidate files through one reusable buffer, and looks at lines only in files where the single combined
regex of the rules' anchors matches.
`;
  writeFileSync(join(projectRoot, 'benchmarks/results/supported-surface.md'), report);
  process.stdout.write(report);
} finally {
  rmSync(tree.root, { recursive: true, force: true });
}
