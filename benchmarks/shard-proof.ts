import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { projectRoot, workTempDir } from '../helpers/proof-root.ts';
import { SuiteResult } from '../profiles/result-schema.ts';

/**
 * Sharding proven on one machine: the suite run whole, then as two shards side by side (two labs, separate work
 * roots) merged with `ucproof merge-proofs` and `vitest --merge-reports`. The merged suite result and JUnit must
 * list the same lanes with the same verdicts as the whole run; each lane names the shard that ran it.
 * Usage: node benchmarks/shard-proof.ts [--suite tests/publishable] [--out benchmarks/results/shard-proof.md]
 * Exit 0 when the merge equals the whole run, 1 when it does not.
 */
const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'tests/publishable' },
    out: { type: 'string', default: 'benchmarks/results/shard-proof.md' },
  },
});
const vitestBin = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');
const suiteName = 'shard-proof';

function run(
  args: string[],
  workRoot: string,
  runId: string,
  label: string,
): Promise<{ code: number | null; s: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: {
      ...process.env,
      ULTRACLOUD_WORK_ROOT: workRoot,
      ULTRACLOUD_RUN_ID: runId,
      ULTRACLOUD_SUITE_NAME: suiteName,
      FORCE_COLOR: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (d: Buffer) =>
    d
      .toString()
      .split('\n')
      .filter((l) => /\[cluster\]|✓|×|Test Files|Tests /.test(l))
      .forEach((l) => {
        process.stderr.write(`[${label}] ${l.trim()}\n`);
      });
  child.stdout.on('data', prefix);
  child.stderr.on('data', prefix);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, s: (performance.now() - t0) / 1000 })));
}

async function suite(workRoot: string, runId: string): Promise<SuiteResult> {
  return SuiteResult.parse(JSON.parse(await readFile(join(workRoot, suiteName, runId, 'result.json'), 'utf8')));
}

async function junitCases(workRoot: string, runId: string): Promise<string[]> {
  const xml = await readFile(join(workRoot, suiteName, runId, 'junit.xml'), 'utf8');
  return [...xml.matchAll(/<testcase [^>]*name="([^"]+)"[^>]*?(\/>|>\s*<(\w+))/g)]
    .map((m) => `${m[1]}: ${m[2] === '/>' ? 'passed' : m[3]}`)
    .sort();
}

const load = loadavg()[0]?.toFixed(2);
const [whole, one, two, merged] = await Promise.all(
  ['whole-', 'shard1-', 'shard2-', 'merged-'].map((p) => workTempDir(p)),
);
const w = await run([vitestBin, 'run', values.suite], whole as string, 'whole', 'whole');
const [s1, s2] = await Promise.all([
  run([vitestBin, 'run', values.suite, '--shard=1/2'], one as string, 'shard-1', 'shard 1/2'),
  run([vitestBin, 'run', values.suite, '--shard=2/2'], two as string, 'shard-2', 'shard 2/2'),
]);
const m = await run(
  [join(projectRoot, 'cli', 'main.ts'), 'merge-proofs', one as string, two as string],
  merged as string,
  'merge',
  'merge',
);
const r = await run(
  [vitestBin, '--merge-reports', join(merged as string, 'blobs')],
  merged as string,
  'merged',
  'merged',
);
const a = await suite(whole as string, 'whole');
const b = await suite(merged as string, 'merged');
const verdicts = (x: SuiteResult) => x.lanes.map((l) => `${l.lane}: ${l.status}`);
const same =
  JSON.stringify(verdicts(a)) === JSON.stringify(verdicts(b)) &&
  JSON.stringify(await junitCases(whole as string, 'whole')) ===
    JSON.stringify(await junitCases(merged as string, 'merged'));
const lines = [
  '# Sharded run vs whole run',
  '',
  `Measured ${new Date().toISOString()} on ${cpus().length} cores (load average ${load} at start) with`,
  `\`node benchmarks/shard-proof.ts --suite ${values.suite}\`: the suite run whole, then as two shards side by side`,
  '(each booting its own lab into its own work root), merged with `ucproof merge-proofs` and `vitest --merge-reports`.',
  '',
  '| run | exit | seconds |',
  '| --- | --- | --- |',
  `| whole | ${w.code} | ${w.s.toFixed(1)} |`,
  `| shard 1/2 | ${s1.code} | ${s1.s.toFixed(1)} |`,
  `| shard 2/2 | ${s2.code} | ${s2.s.toFixed(1)} |`,
  `| merge-proofs | ${m.code} | ${m.s.toFixed(1)} |`,
  `| merge-reports | ${r.code} | ${r.s.toFixed(1)} |`,
  '',
  '| lane | whole | merged | shard | host |',
  '| --- | --- | --- | --- | --- |',
  ...a.lanes.map((l) => {
    const x = b.lanes.find((y) => y.lane === l.lane);
    return `| ${l.lane} | ${l.status} | ${x?.status ?? 'missing'} | ${x?.shard ?? ''} | ${x?.host ?? ''} |`;
  }),
  '',
  same
    ? 'The merged suite result and junit.xml list the same lanes with the same verdicts as the whole run.'
    : '**The merged result differs from the whole run.**',
  '',
];
await writeFileAtomic(join(projectRoot, values.out as string), lines.join('\n'));
process.stdout.write(lines.join('\n'));
process.exitCode = same ? 0 : 1;
