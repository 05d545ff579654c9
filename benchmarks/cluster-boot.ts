import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { projectRoot } from '../helpers/proof-root.ts';
import { eventually } from '../helpers/retry.ts';
import { topologyFromFlake } from '../lab/cluster/flake-topology.ts';
import { bootLab, labNodes } from '../lab/cluster/start-lab.ts';

/**
 * Cluster boot benchmark: the six-node reference lab from nothing (nix build of the node toplevels included) to
 * every control-plane service healthy and to every node ready, and the memory the running lab holds (RSS and PSS
 * summed over the controller and every process in the lab's namespaces).
 * Usage: node benchmarks/cluster-boot.ts [--runs N] [--out benchmarks/results/cluster-boot.md]
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: 'benchmarks/results/cluster-boot.md' },
  },
});
const runs = Number(values.runs);

function memoryOf(pids: number[]): { rssMiB: number; pssMiB: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return { rssMiB: Math.round(rss / 1024), pssMiB: Math.round(pss / 1024) };
}

interface Sample {
  controlPlaneHealthyS: number;
  allReadyS: number;
  processes: number;
  rssMiB: number;
  pssMiB: number;
}

const samples: Sample[] = [];
let services = '';
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const nodes = await topologyFromFlake();
  const lab = await bootLab({ nodes, readyTimeoutMs: 0 });
  try {
    const cp = new Set(nodes.filter((n) => n.role === 'control-plane').map((n) => n.name));
    await eventually(
      async () => {
        const report = await labNodes(lab.state.controllerUrl);
        const bad = report
          .filter((n) => cp.has(n.name))
          .flatMap((n) => n.services.filter((s) => s.health !== 'healthy'));
        if (bad.length || report.filter((n) => cp.has(n.name)).some((n) => n.services.length === 0))
          throw new Error('not yet');
      },
      { timeoutMs: 180_000, intervalMs: 100, maxIntervalMs: 250, what: 'control-plane services healthy' },
    );
    const controlPlaneHealthyS = (performance.now() - t0) / 1000;
    await eventually(
      async () => {
        const report = await labNodes(lab.state.controllerUrl);
        if (report.some((n) => !n.ready || n.services.some((s) => s.health !== 'healthy'))) throw new Error('not yet');
        services = report.map((n) => `${n.name}: ${n.services.map((s) => s.name).join(' ')}`).join('; ');
      },
      { timeoutMs: 180_000, intervalMs: 100, maxIntervalMs: 250, what: 'every node ready' },
    );
    const allReadyS = (performance.now() - t0) / 1000;
    const pids = [lab.state.controllerPid];
    for (const n of lab.state.nodes) {
      pids.push(
        ...execFileSync('ip', ['netns', 'pids', n.netns], { encoding: 'utf8' })
          .split(/\s+/)
          .filter(Boolean)
          .map(Number),
      );
    }
    samples.push({ controlPlaneHealthyS, allReadyS, processes: pids.length, ...memoryOf(pids) });
    process.stderr.write(`run ${i + 1}: ${JSON.stringify(samples.at(-1))}\n`);
  } finally {
    await lab.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const row = (s: Sample, label: string) =>
  `| ${label} | ${s.controlPlaneHealthyS.toFixed(1)} s | ${s.allReadyS.toFixed(1)} s | ${s.processes} | ${s.rssMiB} MiB | ${s.pssMiB} MiB |`;
const cpus = execFileSync('nproc', { encoding: 'utf8' }).trim();
const md = [
  '# Cluster boot: six-node reference lab',
  '',
  `Measured ${new Date().toISOString()} on ${cpus} CPUs with \`node benchmarks/cluster-boot.ts --runs ${runs}\`.`,
  'From nothing (nix build of nixosConfigurations.node01..node06 toplevels, bridge, namespaces, supervisors, sshd,',
  'services, etcd) to every control-plane service answering GET /health, and to every node ready with every',
  'service healthy. Memory: RSS and PSS summed over the lab controller and every process in the lab namespaces',
  '(RSS counts shared pages once per process, PSS shares them out). Targets: under 60 s, under 2 GiB.',
  '',
  '| run | control plane healthy | all nodes ready | processes | RSS | PSS |',
  '| --- | --- | --- | --- | --- | --- |',
  ...samples.map((s, i) => row(s, String(i + 1))),
  `| median | ${median(samples.map((s) => s.controlPlaneHealthyS)).toFixed(1)} s | ${median(samples.map((s) => s.allReadyS)).toFixed(1)} s | | ${median(samples.map((s) => s.rssMiB))} MiB | ${median(samples.map((s) => s.pssMiB))} MiB |`,
  '',
  `Services: ${services}`,
  '',
].join('\n');
await writeFileAtomic(join(projectRoot, values.out), md);
process.stdout.write(md);
