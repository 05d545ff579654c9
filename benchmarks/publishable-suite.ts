import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { projectNode } from '../helpers/node-version.ts';
import { projectRoot } from '../helpers/proof-root.ts';
import { LaneResult } from '../profiles/result-schema.ts';

/**
 * The publishable suite end to end, boot included: `vitest run tests/publishable` in a work root of its own, timed
 * from spawn to exit, with where the time went (the lab's boot, each lane, the restores before lanes) read from
 * the run's own output and proof roots. Every lane must pass (the benchmark fails otherwise).
 * Usage: node benchmarks/publishable-suite.ts [--runs N] [--restore lane|dirty|never]
 *        [--out benchmarks/results/publishable-suite.md]
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    restore: { type: 'string', default: 'lane' },
    out: { type: 'string', default: 'benchmarks/results/publishable-suite.md' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs must be a positive integer, got "${values.runs}"\n`);
  process.exit(2);
}
if (!['lane', 'dirty', 'never'].includes(values.restore)) {
  process.stderr.write(`--restore must be lane, dirty or never, got "${values.restore}"\n`);
  process.exit(2);
}

interface Run {
  wallS: number;
  bootS: number | null;
  lanes: Array<{ lane: string; status: string; durationS: number; restoreS: number }>;
  load: string;
}
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function once(): Promise<Run> {
  const workRoot = mkdtempSync(join(projectRoot, 'work', '.bench-publishable-'));
  const loadAtStart = load();
  const started = performance.now();
  let output = '';
  try {
    const exitCode = await new Promise<number | null>((done) => {
      const child = spawn(
        projectNode(),
        [join(projectRoot, 'node_modules/vitest/vitest.mjs'), 'run', 'tests/publishable'],
        {
          cwd: projectRoot,
          env: { ...process.env, ULTRACLOUD_WORK_ROOT: workRoot, ULTRACLOUD_RESTORE: values.restore },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        output += d.toString();
      });
      child.on('exit', (code) => done(code));
    });
    const wallS = (performance.now() - started) / 1000;
    if (exitCode !== 0) throw new Error(`the publishable suite exited ${exitCode}:\n${output.slice(-3000)}`);
    const boot = /\[cluster\] \S+ ready in ([\d.]+) s/.exec(output);
    const lanes = readdirSync(workRoot, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'lab')
      .flatMap((e) => {
        try {
          const r = LaneResult.parse(JSON.parse(readFileSync(join(workRoot, e.name, 'latest', 'result.json'), 'utf8')));
          if (r.group !== 'publishable') return [];
          const restoreMs = r.startShape?.restores.reduce((n, x) => n + x.totalMs, 0) ?? 0;
          return [
            { lane: r.lane, status: r.status, durationS: (r.durationMs ?? 0) / 1000, restoreS: restoreMs / 1000 },
          ];
        } catch {
          return [];
        }
      });
    return { wallS, bootS: boot ? Number(boot[1]) : null, lanes, load: `${loadAtStart} → ${load()}` };
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
}

const results: Run[] = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  process.stderr.write(`run ${i + 1}: ${JSON.stringify(r)}\n`);
}
const cpus = execFileSync('nproc', { encoding: 'utf8' }).trim();
const f = (s: number) => `${s.toFixed(1)} s`;
const md = [
  '# The publishable suite end to end',
  '',
  `Measured ${new Date().toISOString()} on ${cpus} CPUs with \`node benchmarks/publishable-suite.ts --runs ${runs} --restore ${values.restore}\`:`,
  '`vitest run tests/publishable` in a work root of its own, from spawn to exit (Vitest start-up, the lab built',
  'and booted, the four lanes, teardown). Target: at most 45 s on an idle 2-core machine.',
  '',
  '| run | wall | lab boot | lanes (each: run time, of it restore first) | load (1, 5, 15 min) start → end |',
  '| --- | --- | --- | --- | --- |',
  ...results.map(
    (r, i) =>
      `| ${i + 1} | **${f(r.wallS)}** | ${r.bootS === null ? '?' : f(r.bootS)} | ${r.lanes
        .map((l) => `${l.lane} ${f(l.durationS)}${l.restoreS ? ` (restore ${f(l.restoreS)})` : ''}`)
        .join(', ')} | ${r.load} |`,
  ),
  '',
].join('\n');
await writeFileAtomic(resolve(projectRoot, values.out), md);
process.stdout.write(md);
