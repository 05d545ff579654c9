/**
 * The mutation campaign's parts that need no lab: command-line options, the scratch copy of the checkout, applying
 * one mutant to it, classifying a lane's result.json, and the proof-power report (JSON and Markdown).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { LaneResult } from '../../profiles/result-schema.ts';
import type { Mutant } from './catalogue.ts';

/** Bad command-line input: printed naming the option, exit code 2. */
export class MutantsUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MutantsUsageError';
  }
}

/** The test file that registers each lane as a Vitest test named after it. */
export const laneTestFiles: Readonly<Record<string, string>> = {
  'fresh-smoke': 'tests/publishable/fresh-smoke.test.ts',
  'durability-proof': 'tests/companion/durability-proof.test.ts',
  'fresh-matrix': 'tests/publishable/fresh-matrix.test.ts',
  'fresh-demo-vm-webapp': 'tests/publishable/fresh-demo-vm-webapp.test.ts',
  'chainfire-live-membership-proof': 'tests/publishable/chainfire-live-membership.test.ts',
  'deployer-vm-smoke': 'tests/portable/deployer-vm-smoke.test.ts',
  'deployer-vm-rollback': 'tests/portable/deployer-vm-rollback.test.ts',
  'deployer-bootstrap-e2e': 'tests/portable/deployer-bootstrap-e2e.test.ts',
  'host-lifecycle-e2e': 'tests/portable/host-lifecycle-e2e.test.ts',
  'fleet-scheduler-e2e': 'tests/portable/fleet-scheduler-e2e.test.ts',
  'portable-control-plane-regressions': 'tests/portable/portable-control-plane-regressions.test.ts',
  'baremetal-iso': 'tests/baremetal/baremetal-iso.test.ts',
  'baremetal-iso-e2e': 'tests/baremetal/baremetal-iso-e2e.test.ts',
  'hardware-smoke': 'tests/baremetal/hardware-smoke.test.ts',
  'core-control-plane-ops-proof': 'tests/companion/core-control-plane-ops-proof.test.ts',
  'rollout-soak': 'tests/companion/rollout-soak.test.ts',
  'provider-vm-reality-proof': 'tests/companion/provider-vm-reality-proof.test.ts',
};

export interface MutantsOptions {
  help: boolean;
  list: boolean;
  keep: boolean;
  survivors: boolean;
  only: string[] | null;
  lane: string | null;
  /** per lane run (baseline or mutant), in minutes */
  timeoutMinutes: number;
}

export const mutantsUsage = `usage: npm run mutants -- [--only ID,ID] [--lane NAME] [--survivors] [--list] [--keep] [--timeout MIN]

Applies each selected mutant of benchmarks/mutants/catalogue.ts to a scratch copy of the checkout, runs the lane
it names there against a fresh lab, and writes benchmarks/results/proof-power.md and .json (a partial run
rewrites only the rows it measured).
  --only ID,ID    only these mutants
  --lane NAME     only the mutants of this lane
  --survivors     only the mutants that survived (or were invalid / not measured) in the previous results
  --list          print the catalogue and exit
  --keep          keep the scratch copies (under <work root>/mutants/)
  --timeout MIN   limit for one lane run, in minutes (default 15)`;

/** Parse the runner's arguments; anything unknown or malformed is a MutantsUsageError naming the option. */
export function parseMutantsArgs(argv: string[], catalogue: readonly Mutant[]): MutantsOptions {
  const out: MutantsOptions = {
    help: false,
    list: false,
    keep: false,
    survivors: false,
    only: null,
    lane: null,
    timeoutMinutes: 15,
  };
  const value = (i: number, name: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new MutantsUsageError(`${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const [name, inline] = raw.includes('=')
      ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)]
      : [raw];
    const take = () => {
      if (inline !== undefined) return inline;
      const v = value(i, name as string);
      i++;
      return v;
    };
    const flag = () => {
      if (inline !== undefined) throw new MutantsUsageError(`${name} takes no value`);
    };
    switch (name) {
      case '--help':
      case '-h':
        flag();
        out.help = true;
        break;
      case '--list':
        flag();
        out.list = true;
        break;
      case '--keep':
        flag();
        out.keep = true;
        break;
      case '--survivors':
        flag();
        out.survivors = true;
        break;
      case '--only': {
        const ids = take()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (!ids.length) throw new MutantsUsageError('--only needs at least one mutant id');
        const unknown = ids.filter((id) => !catalogue.some((m) => m.id === id));
        if (unknown.length) throw new MutantsUsageError(`--only names unknown mutant(s): ${unknown.join(', ')}`);
        out.only = ids;
        break;
      }
      case '--lane': {
        const lane = take();
        if (!(lane in laneTestFiles)) {
          throw new MutantsUsageError(`--lane must be one of ${Object.keys(laneTestFiles).join(', ')}, got "${lane}"`);
        }
        out.lane = lane;
        break;
      }
      case '--timeout': {
        const v = take();
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0)
          throw new MutantsUsageError(`--timeout must be a positive number of minutes, got "${v}"`);
        out.timeoutMinutes = n;
        break;
      }
      default:
        throw new MutantsUsageError(`unknown option ${name}`);
    }
  }
  if (out.only && out.survivors) throw new MutantsUsageError('--only and --survivors cannot be combined');
  return out;
}

/** The mutants a run measures, in catalogue order. */
export function selectMutants(
  catalogue: readonly Mutant[],
  options: Pick<MutantsOptions, 'only' | 'lane' | 'survivors'>,
  previous: ProofPower | null,
): Mutant[] {
  let picked = [...catalogue];
  if (options.only) picked = picked.filter((m) => options.only?.includes(m.id));
  if (options.survivors) {
    const measured = new Map((previous?.mutants ?? []).map((r) => [r.id, r.verdict]));
    picked = picked.filter((m) => measured.get(m.id) !== 'caught');
  }
  if (options.lane) picked = picked.filter((m) => m.lane === options.lane);
  return picked;
}

const occurrences = (text: string, search: string) => text.split(search).length - 1;

/** Apply one mutant to the checkout at `root`; refuses a search text that does not occur exactly once. */
export function applyMutant(root: string, mutant: Pick<Mutant, 'id' | 'file' | 'search' | 'replace'>): void {
  const path = join(root, mutant.file);
  if (!existsSync(path)) throw new Error(`mutant ${mutant.id}: ${mutant.file} does not exist`);
  const text = readFileSync(path, 'utf8');
  const n = occurrences(text, mutant.search);
  if (n !== 1) throw new Error(`mutant ${mutant.id}: the search text occurs ${n} times in ${mutant.file}, not once`);
  writeFileSync(
    path,
    text.replace(mutant.search, () => mutant.replace),
  );
}

/** What a scratch copy links to instead of copying (large, not part of what a mutant changes). */
const linked = ['node_modules', '.toolchain'];

/**
 * Copy the checkout's files (tracked and untracked-but-not-ignored, so work/, node_modules/ and .toolchain/ stay
 * out) into `dest`, linking node_modules and .toolchain.
 */
export function scratchCopy(repo: string, dest: string): number {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
    maxBuffer: 64 * 1024 * 1024,
  })
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  const files = [...new Set(listed)].filter((f) => !linked.some((l) => f === l || f.startsWith(`${l}/`)));
  mkdirSync(dest, { recursive: true });
  let copied = 0;
  for (const f of files) {
    const from = join(repo, f);
    // a tracked file deleted in the work tree is not part of the checkout being measured
    if (!existsSync(from) || !statSync(from).isFile()) continue;
    const to = join(dest, f);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    copied++;
  }
  for (const l of linked) {
    if (existsSync(join(repo, l)) && !existsSync(join(dest, l))) symlinkSync(join(repo, l), join(dest, l));
  }
  // a repository of its own: the copy sits under the checkout's ignored work root, and nix reads a flake inside a
  // git work tree through that tree's index, where the ignored copy would have no files
  execFileSync('git', ['init', '-q'], { cwd: dest });
  execFileSync('git', ['add', '-A', '--', '.', ...linked.map((l) => `:!${l}`)], {
    cwd: dest,
    maxBuffer: 64 * 1024 * 1024,
  });
  return copied;
}

export const Verdict = z.enum(['caught', 'survived', 'invalid', 'not-measured']);
export type Verdict = z.infer<typeof Verdict>;

export interface Classification {
  verdict: Exclude<Verdict, 'not-measured'>;
  /** caught: the failing step path; otherwise empty */
  step: string | null;
  /** caught: the violated property and message; survived: that the lane passed; invalid: why */
  detail: string;
}

/**
 * Classify one lane run: a property violation is caught, a pass is survived, anything else (no result, blocked,
 * a harness failure, a timeout, an interruption) is invalid with the reason.
 */
export function classifyRun(result: unknown, context: { exitCode: number | null; timedOut: boolean }): Classification {
  if (context.timedOut) return { verdict: 'invalid', step: null, detail: 'the lane run hit the campaign timeout' };
  if (result === null || result === undefined) {
    return {
      verdict: 'invalid',
      step: null,
      detail: `the lane left no result.json (vitest exit ${context.exitCode ?? 'by signal'}; the lab may not have booted)`,
    };
  }
  const parsed = LaneResult.safeParse(result);
  if (!parsed.success) {
    return {
      verdict: 'invalid',
      step: null,
      detail: `result.json does not match the result schema: ${parsed.error.message.slice(0, 200)}`,
    };
  }
  const r = parsed.data;
  if (r.status === 'passed') return { verdict: 'survived', step: null, detail: 'the lane passed' };
  if (r.status === 'flaky') return { verdict: 'survived', step: null, detail: 'the lane passed on its rerun' };
  if (r.status === 'blocked') {
    return {
      verdict: 'invalid',
      step: null,
      detail: `the lane was blocked: missing ${r.missingRequirements.join(', ') || '(not named)'}`,
    };
  }
  const f = r.failure;
  const step = f?.stepPath.join(' › ') ?? null;
  if (r.status === 'failed' && f?.kind === 'property') {
    const message = f.message.length > 400 ? `${f.message.slice(0, 400)}…` : f.message;
    return { verdict: 'caught', step, detail: f.property ? `${f.property}: ${message}` : message };
  }
  return {
    verdict: 'invalid',
    step,
    detail: `the lane ended ${r.status}${f ? ` with a ${f.kind} failure: ${f.message.slice(0, 300)}` : ''}`,
  };
}

/** The newest lane result under a work root (work/<lane>/<run id>/result.json), or null. */
export function latestLaneResult(root: string, lane: string): unknown {
  const dir = join(root, lane);
  if (!existsSync(dir)) return null;
  const runs = readdirSync(dir)
    .filter((d) => d !== 'latest' && existsSync(join(dir, d, 'result.json')))
    .sort();
  const last = runs.at(-1);
  if (!last) return null;
  try {
    return JSON.parse(readFileSync(join(dir, last, 'result.json'), 'utf8'));
  } catch {
    return null;
  }
}

export const MutantRow = z.object({
  id: z.string(),
  file: z.string(),
  lane: z.string(),
  breaks: z.string(),
  verdict: Verdict,
  step: z.string().nullable(),
  detail: z.string(),
  durationMs: z.number().nonnegative(),
  measuredAt: z.string(),
});
export type MutantRow = z.infer<typeof MutantRow>;

export const BaselineRow = z.object({
  lane: z.string(),
  passed: z.boolean(),
  detail: z.string(),
  durationMs: z.number().nonnegative(),
  measuredAt: z.string(),
});
export type BaselineRow = z.infer<typeof BaselineRow>;

export const ProofPower = z.object({
  schema: z.literal('ultracloud-proof/proof-power@1'),
  updatedAt: z.string(),
  machine: z.string(),
  accelerator: z.string(),
  baselines: z.array(BaselineRow),
  mutants: z.array(MutantRow),
  /** wall time of the runs that produced the rows, summed */
  campaignWallMs: z.number().nonnegative(),
});
export type ProofPower = z.infer<typeof ProofPower>;

/** Fold a run's rows into the previous results: rows measured now replace theirs, the rest are kept. */
export function mergeResults(
  previous: ProofPower | null,
  now: Pick<ProofPower, 'baselines' | 'mutants' | 'machine' | 'accelerator' | 'updatedAt' | 'campaignWallMs'>,
  catalogue: readonly Mutant[],
): ProofPower {
  const rows = new Map((previous?.mutants ?? []).map((r) => [r.id, r]));
  for (const r of now.mutants) rows.set(r.id, r);
  const baselines = new Map((previous?.baselines ?? []).map((b) => [b.lane, b]));
  for (const b of now.baselines) baselines.set(b.lane, b);
  const order = new Map(catalogue.map((m, i) => [m.id, i]));
  return {
    schema: 'ultracloud-proof/proof-power@1',
    updatedAt: now.updatedAt,
    machine: now.machine,
    accelerator: now.accelerator,
    baselines: [...baselines.values()].sort((a, b) => a.lane.localeCompare(b.lane)),
    // rows of mutants no longer in the catalogue are dropped
    mutants: [...rows.values()]
      .filter((r) => order.has(r.id))
      .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)),
    campaignWallMs: (previous?.campaignWallMs ?? 0) + now.campaignWallMs,
  };
}

export interface Totals {
  total: number;
  caught: number;
  survived: number;
  invalid: number;
  notMeasured: number;
  /** caught / (caught + survived), the share of measured mutants their lane caught */
  caughtPercent: number | null;
}

export function totals(rows: readonly MutantRow[]): Totals {
  const count = (v: Verdict) => rows.filter((r) => r.verdict === v).length;
  const caught = count('caught');
  const survived = count('survived');
  return {
    total: rows.length,
    caught,
    survived,
    invalid: count('invalid'),
    notMeasured: count('not-measured'),
    caughtPercent: caught + survived ? Math.round((1000 * caught) / (caught + survived)) / 10 : null,
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

/** The Markdown report; `explanations` gives a survivor's reason (what check its lane lacks), by mutant id. */
export function renderReport(results: ProofPower, explanations: Readonly<Record<string, string>> = {}): string {
  const t = totals(results.mutants);
  const lines = [
    '# Proof power: the mutation campaign',
    '',
    `Updated ${results.updatedAt} on ${results.machine}, guest accelerator ${results.accelerator}, with`,
    '`npm run mutants` (benchmarks/mutants/run.ts). Each mutant of benchmarks/mutants/catalogue.ts is one plausible',
    "regression of the lab's service or installer code, applied alone to a scratch copy of the checkout; the lane it",
    'names runs there against a fresh lab. caught: the lane failed with a property violation; survived: the lane',
    'passed; invalid: the lane could not judge (no boot, blocked, harness failure, timeout); not measured: the',
    "lane's unmutated baseline did not pass.",
    '',
    `**Totals**: ${t.total} mutants: ${t.caught} caught, ${t.survived} survived, ${t.invalid} invalid, ${t.notMeasured} not measured. ` +
      `Caught on their own lane: ${t.caughtPercent === null ? 'n/a' : `${t.caughtPercent} %`} of the measured (caught + survived); ` +
      `${t.total ? Math.round((1000 * t.caught) / t.total) / 10 : 0} % of all. Campaign wall time ${(results.campaignWallMs / 60_000).toFixed(1)} min.`,
    '',
    '## Baselines (each lane unmutated)',
    '',
    '| lane | passed | duration | detail |',
    '| --- | --- | --- | --- |',
    ...results.baselines.map(
      (b) => `| ${b.lane} | ${b.passed ? 'yes' : 'no'} | ${seconds(b.durationMs)} | ${cell(b.detail)} |`,
    ),
    '',
    '## Mutants',
    '',
    '| id | file | lane | property | verdict | failing step / reason | duration |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.mutants.map(
      (r) =>
        `| ${r.id} | ${r.file} | ${r.lane} | ${cell(r.breaks)} | **${r.verdict}** | ${cell(
          r.verdict === 'caught' ? `${r.step ?? ''}: ${r.detail}` : r.detail,
        )} | ${seconds(r.durationMs)} |`,
    ),
  ];
  const survivors = results.mutants.filter((r) => r.verdict !== 'caught');
  lines.push('', '## Survivors and invalid runs', '');
  if (!survivors.length) lines.push('None.');
  for (const r of survivors) {
    lines.push(`- **${r.id}** (${r.verdict}, ${r.lane}): ${explanations[r.id] ?? r.detail}`);
  }
  lines.push(
    '',
    'Re-measure only these after the lanes change: `npm run mutants -- --survivors` (or `--only ID,ID`); the rows',
    'measured are rewritten, the others kept.',
    '',
  );
  return lines.join('\n');
}
