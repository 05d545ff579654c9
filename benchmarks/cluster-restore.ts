import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connectCluster } from '../harness/cluster.ts';
import { shapeChecks } from '../harness/start-shape.ts';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { projectRoot } from '../helpers/proof-root.ts';
import { bootLab } from '../lab/cluster/start-lab.ts';
import { allowLabDestinations } from '../lab/net/address-guard.ts';
import { labClusterInfo } from '../lab/target/driver.ts';

/**
 * Boot vs restore of the six-node reference lab, in one run on one machine: the boot from nothing to every node
 * ready and healthy (then the snapshot of that state), and restores of the same lab back to it after a lane-like
 * change (node05 drained, node04 added to ChainFire as a learner), each followed by the canonical-shape check,
 * which must pass (the benchmark fails otherwise).
 * Usage: node benchmarks/cluster-restore.ts [--restores N] [--out benchmarks/results/cluster-restore.md]
 */
const { values } = parseArgs({
  options: {
    restores: { type: 'string', default: '5' },
    out: { type: 'string', default: 'benchmarks/results/cluster-restore.md' },
  },
});
const restores = Number(values.restores);
if (!Number.isInteger(restores) || restores < 1) {
  process.stderr.write(`--restores must be a positive integer, got "${values.restores}"\n`);
  process.exit(2);
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadAtStart = load();
allowLabDestinations();
let snapshotMs = 0;
const t0 = performance.now();
const lab = await bootLab({
  progress: (line) => {
    const m = /snapshot of the booted lab taken in (\d+) ms/.exec(line);
    if (m) snapshotMs = Number(m[1]);
    process.stderr.write(`[boot] ${line}\n`);
  },
});
const bootTotalMs = performance.now() - t0;
interface RestoreSample {
  totalMs: number;
  stopMs: number;
  resetMs: number;
  bootMs: number;
  shapeMs: number;
  load: string;
}
const samples: RestoreSample[] = [];
try {
  const cluster = await connectCluster(labClusterInfo(lab.state));
  const url = lab.state.controllerUrl;
  for (let i = 0; i < restores; i++) {
    await cluster.ports.fleetScheduler.drain('node05');
    await cluster.ports.chainfire.at('node01').addLearner('node04');
    const dirty = (await shapeChecks(cluster)).filter((c) => c.ok === false);
    if (dirty.length < 2) throw new Error(`the change did not show in the shape: ${JSON.stringify(dirty)}`);
    const res = await fetch(`${url}/restore`, {
      method: 'POST',
      body: JSON.stringify({}),
      signal: AbortSignal.timeout(300_000),
    });
    if (!res.ok) throw new Error(`restore answered ${res.status}: ${await res.text()}`);
    const r = (await res.json()) as { totalMs: number; stopMs: number; resetMs: number; bootMs: number };
    const s0 = performance.now();
    const checks = await shapeChecks(cluster);
    const off = checks.filter((c) => c.ok !== true);
    if (off.length) throw new Error(`after restore ${i + 1} the lab is out of shape: ${JSON.stringify(off)}`);
    const sample = { ...r, shapeMs: Math.round(performance.now() - s0), load: load() };
    samples.push(sample);
    process.stderr.write(`restore ${i + 1}: ${JSON.stringify(sample)}\n`);
  }
} finally {
  await lab.stop();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const restoreMedian = median(samples.map((x) => x.totalMs));
const cpus = execFileSync('nproc', { encoding: 'utf8' }).trim();
const md = [
  '# Boot vs restore: the six-node reference lab',
  '',
  `Measured ${new Date().toISOString()} on ${cpus} CPUs with \`node benchmarks/cluster-restore.ts --restores ${restores}\`,`,
  `boot and restores of one lab in one run. Load average (1, 5, 15 min) at the start: ${loadAtStart}.`,
  '',
  `Boot, from nothing to every node ready with every service healthy: **${s(bootTotalMs - snapshotMs)}**, then the`,
  `snapshot of that state ${snapshotMs} ms (every node frozen while its state is copied).`,
  '',
  'Each restore follows a lane-like change (node05 drained in the fleet scheduler, node04 added to ChainFire as a',
  'learner; the shape check sees both) and is timed by the controller from the request until every node is ready',
  'with every service healthy again; the canonical-shape check after it passed every time.',
  '',
  '| restore | total | power cut | state and network put back | boot to healthy | shape check | load after |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...samples.map(
    (x, i) =>
      `| ${i + 1} | ${s(x.totalMs)} | ${x.stopMs} ms | ${x.resetMs} ms | ${s(x.bootMs)} | ${x.shapeMs} ms | ${x.load} |`,
  ),
  `| median | ${s(restoreMedian)} | ${median(samples.map((x) => x.stopMs))} ms | ${median(samples.map((x) => x.resetMs))} ms | ${s(median(samples.map((x) => x.bootMs)))} | ${median(samples.map((x) => x.shapeMs))} ms | |`,
  '',
  `**Restore / boot: ${(restoreMedian / (bootTotalMs - snapshotMs)).toFixed(2)}** (median restore ${s(restoreMedian)}, boot ${s(bootTotalMs - snapshotMs)}); target: a restore in at most 5 s.`,
  '',
].join('\n');
await writeFileAtomic(resolve(projectRoot, values.out), md);
process.stdout.write(md);
