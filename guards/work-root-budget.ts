import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { diskUsage, formatSize } from './disk-usage.ts';
import { listProofRoots, type ProofRoot } from './proof-roots.ts';

/** The soft budgets, each settable by a flag or an environment variable (GiB, fractions allowed). */
export const budgetKinds = {
  total: { flag: 'max-total-gib', variable: 'ULTRACLOUD_WORK_ROOT_BUDGET_GIB', defaultGiB: 200, what: 'the work root' },
  state: {
    flag: 'max-state-gib',
    variable: 'ULTRACLOUD_WORK_ROOT_STATE_BUDGET_GIB',
    defaultGiB: 80,
    what: 'test-cluster/state',
  },
  disposable: {
    flag: 'max-disposable-gib',
    variable: 'ULTRACLOUD_WORK_ROOT_DISPOSABLE_BUDGET_GIB',
    defaultGiB: 40,
    what: 'disposable runtime folders (tmp, publishable-kvm-runtime)',
  },
  proofLogs: {
    flag: 'max-proof-logs-gib',
    variable: 'ULTRACLOUD_WORK_ROOT_PROOF_LOGS_BUDGET_GIB',
    defaultGiB: 20,
    what: 'dated proof roots',
  },
} as const;
export type BudgetKind = keyof typeof budgetKinds;
export type Budgets = Record<BudgetKind, number>;

export const disposableFolders = ['tmp', 'publishable-kvm-runtime'] as const;

export interface ProofRootUsage extends ProofRoot {
  readonly bytes: number;
}

export interface WorkRootReport {
  readonly workRoot: string;
  readonly exists: boolean;
  readonly bytes: Record<BudgetKind, number>;
  readonly disposable: { readonly name: string; readonly path: string; readonly bytes: number }[];
  readonly proofRoots: ProofRootUsage[];
}

/** Sizes of the work root, test-cluster/state, the disposable folders and every dated proof root. */
export function measureWorkRoot(work: string): WorkRootReport {
  const exists = existsSync(work);
  const sizes = exists ? diskUsage(work, 2) : new Map<string, number>();
  const size = (rel: string) => sizes.get(rel) ?? 0;
  const disposable = disposableFolders.map((name) => ({ name, path: join(work, name), bytes: size(name) }));
  const proofRoots = [...(exists ? listProofRoots(work) : new Map<string, ProofRoot[]>()).values()]
    .flat()
    .map((r) => ({ ...r, bytes: size(relative(work, r.path)) }));
  return {
    workRoot: work,
    exists,
    bytes: {
      total: size(''),
      state: size('test-cluster/state'),
      disposable: disposable.reduce((n, d) => n + d.bytes, 0),
      proofLogs: proofRoots.reduce((n, r) => n + r.bytes, 0),
    },
    disposable,
    proofRoots,
  };
}

export interface Overrun {
  readonly kind: BudgetKind;
  readonly what: string;
  readonly bytes: number;
  readonly budgetGiB: number;
}

export function overBudget(report: WorkRootReport, budgets: Budgets): Overrun[] {
  return (Object.keys(budgetKinds) as BudgetKind[])
    .filter((kind) => report.bytes[kind] > budgets[kind] * 2 ** 30)
    .map((kind) => ({ kind, what: budgetKinds[kind].what, bytes: report.bytes[kind], budgetGiB: budgets[kind] }));
}

export function describeOverrun(o: Overrun): string {
  return `${o.what} is ${formatSize(o.bytes)}, over its ${o.budgetGiB} GiB budget (--${budgetKinds[o.kind].flag} / ${budgetKinds[o.kind].variable})`;
}

/**
 * Every dated proof root but the `keep` newest per lane; never the one `latest` points at, one newer than that, or
 * one whose run is still going (liveWriter).
 */
export function prunePlan(report: WorkRootReport, keep: number): ProofRootUsage[] {
  const byLane = new Map<string, ProofRootUsage[]>();
  for (const r of report.proofRoots) byLane.set(r.lane, [...(byLane.get(r.lane) ?? []), r]);
  return [...byLane.values()].flatMap((runs) => {
    const latest = runs.find((r) => r.latest);
    return runs
      .slice(keep)
      .filter((r) => !r.latest && !(latest && r.startedAt > latest.startedAt) && liveWriter(r.path) === undefined);
  });
}

/**
 * The pid of the process still writing the proof root: its result.json is a placeholder (no finishedAt) naming a
 * writerPid that is alive. A root without a readable result.json has no live writer.
 */
export function liveWriter(root: string): number | undefined {
  let result: { finishedAt?: unknown; writerPid?: unknown };
  try {
    result = JSON.parse(readFileSync(join(root, 'result.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const pid = result.writerPid;
  if (result.finishedAt != null || typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** Delete the planned proof roots; refuses anything outside the work root or a `latest` target. */
export async function applyPrune(report: WorkRootReport, plan: readonly ProofRootUsage[]): Promise<void> {
  const work = realpathSync(report.workRoot);
  for (const r of plan) {
    const rel = relative(work, realpathSync(r.path));
    if (r.latest || rel.startsWith('..') || rel.split('/').length !== 2) {
      throw new Error(`refusing to delete "${r.path}": not a dated proof root of ${work}`);
    }
    // a run may have started on this root since the plan was made
    if (liveWriter(r.path) !== undefined) continue;
    await rm(r.path, { recursive: true, force: true });
  }
}

/** Concrete commands that bring the work root back under its budgets. */
export function cleanupAdvice(report: WorkRootReport, keep = 2): string[] {
  const quote = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
  const advice: string[] = [];
  for (const d of report.disposable) {
    if (d.bytes >= 2 ** 20)
      advice.push(`rm -rf -- ${quote(d.path)}  # ${formatSize(d.bytes)} of disposable runtime state`);
  }
  if (report.bytes.state >= 2 ** 20) {
    advice.push(
      `ucproof cluster clean  # stops the VM cluster and frees ${formatSize(report.bytes.state)} of test-cluster/state`,
    );
  }
  const plan = prunePlan(report, keep);
  if (plan.length > 0) {
    const bytes = plan.reduce((n, r) => n + r.bytes, 0);
    advice.push(
      `ucproof work-root-budget prune-proof-logs ${keep}  # dry run: lists ${plan.length} dated proof root(s)`,
    );
    advice.push(`ucproof work-root-budget prune-proof-logs ${keep} --apply  # frees ${formatSize(bytes)}`);
  }
  advice.push('nix-collect-garbage  # afterwards: frees store paths only the removed runs kept alive');
  return advice;
}
