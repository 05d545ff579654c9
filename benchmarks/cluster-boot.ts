import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { projectRoot, workRoot } from '../helpers/proof-root.ts';
import { eventually } from '../helpers/retry.ts';
import { topologyFromFlake } from '../lab/cluster/flake-topology.ts';
import { defaultLabNodeFlags, prepareLabRuntime } from '../lab/cluster/lab-build.ts';
import { bootLab, labNodes } from '../lab/cluster/start-lab.ts';

/**
 * Cluster boot benchmark: the six-node reference lab from nothing (nix build of the node toplevels included) to
 * every control-plane service healthy and to every node ready, and the memory the running lab holds (RSS and PSS
 * summed over the controller and every process in the lab's namespaces).
 * Each option of how lab processes are launched (lab/cluster/lab-build.ts) is a variant, so the before and after
 * of each are taken in one run on the same machine: the runs go round the variants in turn (run 1 of every
 * variant, then run 2 of every variant, ...), so a change in machine load falls on all of them alike.
 * Usage: node benchmarks/cluster-boot.ts [--runs N] [--variants ts,bundle,...] [--out benchmarks/results/cluster-boot.md]
 */
const variants: Record<string, { env: Record<string, string>; what: string }> = {
  ts: {
    env: { ULTRACLOUD_LAB_JS: 'ts', ULTRACLOUD_LAB_COMPILE_CACHE: '0', ULTRACLOUD_LAB_NODE_FLAGS: '' },
    what: 'the old way: every process runs its .ts sources, type-stripped at run time',
  },
  bundle: {
    env: { ULTRACLOUD_LAB_JS: 'bundle', ULTRACLOUD_LAB_COMPILE_CACHE: '0', ULTRACLOUD_LAB_NODE_FLAGS: '' },
    what: 'bundled .mjs built ahead, no compile cache, no flags',
  },
  'bundle+cache': {
    env: { ULTRACLOUD_LAB_JS: 'bundle', ULTRACLOUD_LAB_COMPILE_CACHE: '1', ULTRACLOUD_LAB_NODE_FLAGS: '' },
    what: "bundled, with Node's compile cache (warm after the first run)",
  },
  'bundle+flags': {
    env: {
      ULTRACLOUD_LAB_JS: 'bundle',
      ULTRACLOUD_LAB_COMPILE_CACHE: '0',
      ULTRACLOUD_LAB_NODE_FLAGS: defaultLabNodeFlags.join(' '),
    },
    what: `bundled, no compile cache, the default flags (${defaultLabNodeFlags.join(' ')})`,
  },
  default: {
    env: {},
    what: `combined, the lab's default: bundled, compile cache, ${defaultLabNodeFlags.join(' ')}`,
  },
};
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    variants: { type: 'string', default: 'ts,bundle,bundle+cache,bundle+flags,default' },
    out: { type: 'string', default: 'benchmarks/results/cluster-boot.md' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs: "${values.runs}" is not a positive whole number\n`);
  process.exit(2);
}
const chosen = values.variants.split(',').map((v) => v.trim());
for (const v of chosen) {
  if (!variants[v]) {
    process.stderr.write(`--variants: unknown variant "${v}"; known: ${Object.keys(variants).join(', ')}\n`);
    process.exit(2);
  }
}
const launchVariables = ['ULTRACLOUD_LAB_JS', 'ULTRACLOUD_LAB_COMPILE_CACHE', 'ULTRACLOUD_LAB_NODE_FLAGS'];
function selectVariant(name: string): void {
  for (const k of launchVariables) delete process.env[k];
  Object.assign(process.env, variants[name]?.env);
}

/** What a process is, for the per-kind table: a lab entry (service, supervisor, controller) or its program. */
function kindOf(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (argv[0]?.endsWith('unshare')) return 'unshare (node namespace parent)';
    const entry = argv.map((a) => /lab\/(services\/[a-z0-9-]+|node\/supervisor|controller)/.exec(a)?.[1]).find(Boolean);
    return entry ?? (argv[0] ?? '?').split('/').at(-1) ?? '?';
  } catch {
    return '(exited)';
  }
}

const kinds = new Map<string, Map<string, { n: number; rssMiB: number; pssMiB: number }>>();
function recordKinds(variant: string, pids: number[]): void {
  const byKind = new Map<string, { n: number; rssMiB: number; pssMiB: number }>();
  for (const pid of pids) {
    const k = kindOf(pid);
    const m = memoryOf([pid]);
    const cur = byKind.get(k) ?? { n: 0, rssMiB: 0, pssMiB: 0 };
    byKind.set(k, { n: cur.n + 1, rssMiB: cur.rssMiB + m.rssMiB, pssMiB: cur.pssMiB + m.pssMiB });
  }
  kinds.set(variant, byKind);
}

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
  variant: string;
  controlPlaneHealthyS: number;
  allReadyS: number;
  processes: number;
  rssMiB: number;
  pssMiB: number;
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

// the bundle of the current sources is built (or found) once before the timed runs; its cold build is timed here
const buildStarted = performance.now();
selectVariant('default');
await prepareLabRuntime(workRoot());
const bundleBuildS = (performance.now() - buildStarted) / 1000;

const samples: Sample[] = [];
const loads: string[] = [`before: ${loadavg()}`];
let services = '';
for (let i = 0; i < runs; i++) {
  for (const variant of chosen) {
    selectVariant(variant);
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
          if (report.some((n) => !n.ready || n.services.some((s) => s.health !== 'healthy')))
            throw new Error('not yet');
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
      recordKinds(variant, pids);
      samples.push({ variant, controlPlaneHealthyS, allReadyS, processes: pids.length, ...memoryOf(pids) });
      process.stderr.write(`run ${i + 1} ${variant}: ${JSON.stringify(samples.at(-1))} load ${loadavg()}\n`);
    } finally {
      await lab.stop();
    }
  }
  loads.push(`after round ${i + 1}: ${loadavg()}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const row = (s: Sample, label: string) =>
  `| ${label} | ${s.variant} | ${s.controlPlaneHealthyS.toFixed(1)} s | ${s.allReadyS.toFixed(1)} s | ${s.processes} | ${s.rssMiB} MiB | ${s.pssMiB} MiB |`;
const medianRow = (variant: string) => {
  const of = samples.filter((s) => s.variant === variant);
  return `| ${variant} | ${median(of.map((s) => s.controlPlaneHealthyS)).toFixed(1)} s | ${median(of.map((s) => s.allReadyS)).toFixed(1)} s | ${median(of.map((s) => s.processes))} | ${median(of.map((s) => s.rssMiB))} MiB | ${median(of.map((s) => s.pssMiB))} MiB |`;
};
const cpus = execFileSync('nproc', { encoding: 'utf8' }).trim();
const md = [
  '# Cluster boot: six-node reference lab',
  '',
  `Measured ${new Date().toISOString()} on ${cpus} CPUs with \`node benchmarks/cluster-boot.ts --runs ${runs} --variants ${chosen.join(',')}\`.`,
  'From nothing (nix build of nixosConfigurations.node01..node06 toplevels, bridge, namespaces, supervisors, sshd,',
  'services, etcd) to every control-plane service answering GET /health, and to every node ready with every',
  'service healthy. Memory: RSS and PSS summed over the lab controller and every process in the lab namespaces',
  '(RSS counts shared pages once per process, PSS shares them out), taken once every node is ready.',
  `The runs go round the variants in turn. Bundle build of the current sources before the runs: ${bundleBuildS.toFixed(1)} s`,
  '(0 when a bundle of exactly these sources was already there).',
  '',
  'Variants:',
  ...chosen.map((v) => `- \`${v}\`: ${variants[v]?.what}`),
  '',
  `Machine load (1, 5, 15 min): ${loads.join('; ')}.`,
  '',
  '| variant | control plane healthy | all nodes ready | processes | RSS | PSS |',
  '| --- | --- | --- | --- | --- | --- |',
  ...chosen.map(medianRow),
  '',
  'Each run:',
  '',
  '| run | variant | control plane healthy | all nodes ready | processes | RSS | PSS |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...samples.map((s, i) => row(s, String(Math.floor(i / chosen.length) + 1))),
  '',
  'Per kind of process, last run of each variant (RSS / PSS summed over the processes of the kind, MiB):',
  '',
  `| kind | ${chosen.join(' | ')} |`,
  `| --- | ${chosen.map(() => '---').join(' | ')} |`,
  ...[...new Set([...kinds.values()].flatMap((m) => [...m.keys()]))].sort().map((k) => {
    const cells = chosen.map((v) => {
      const e = kinds.get(v)?.get(k);
      return e ? `${e.n} × ${Math.round(e.rssMiB / e.n)} = ${e.rssMiB} / ${e.pssMiB}` : '';
    });
    return `| ${k} | ${cells.join(' | ')} |`;
  }),
  '',
  `Services: ${services}`,
  '',
].join('\n');
await writeFileAtomic(join(projectRoot, values.out), md);
process.stdout.write(md);
