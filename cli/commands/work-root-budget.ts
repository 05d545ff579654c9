import { formatSize } from '../../guards/disk-usage.ts';
import { describeRoot } from '../../guards/proof-roots.ts';
import {
  applyPrune,
  type BudgetKind,
  type Budgets,
  budgetKinds,
  cleanupAdvice,
  describeOverrun,
  measureWorkRoot,
  overBudget,
  prunePlan,
  type WorkRootReport,
} from '../../guards/work-root-budget.ts';
import { workRoot } from '../../helpers/proof-root.ts';
import { parseCommandArgs, UsageError } from '../usage.ts';

export const summary = 'status | enforce | cleanup-advice | prune-proof-logs N';

const kinds = Object.keys(budgetKinds) as BudgetKind[];
const help = `usage: ucproof work-root-budget <status | enforce | cleanup-advice | prune-proof-logs N [--apply]> [options]

  status            sizes of the work root, test-cluster/state, disposable folders and each dated proof root
  enforce           like status, exit 1 when any soft budget is exceeded, naming what is over
  cleanup-advice    the commands that free space
  prune-proof-logs N
                    list every dated proof root but the N newest per lane (never the one 'latest' points at,
                    one newer than it, or one whose run is still going); deletes them only with --apply

The work root is ULTRACLOUD_WORK_ROOT, else ./work. Soft budgets in GiB (flag, else variable, else default):
${kinds.map((k) => `  --${budgetKinds[k].flag.padEnd(20)} ${budgetKinds[k].variable.padEnd(44)} ${budgetKinds[k].defaultGiB}  ${budgetKinds[k].what}`).join('\n')}

  --json            machine-readable output`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      apply: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(kinds.map((k) => [budgetKinds[k].flag, { type: 'string' as const }])),
    },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const [mode, ...extra] = positionals;
  const budgets = readBudgets(values as Record<string, string | boolean | undefined>);
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const json = values.json === true;
  if (mode === 'prune-proof-logs') return prune(extra, values.apply === true, json, out);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.apply) throw new UsageError('--apply belongs to prune-proof-logs');
  const report = measureWorkRoot(workRoot());
  const over = overBudget(report, budgets);
  if (mode === 'status' || mode === 'enforce') {
    if (json) out(JSON.stringify({ ...report, budgetsGiB: budgets, over }));
    else out(formatStatus(report, budgets));
    if (mode === 'status') return 0;
    for (const o of over) process.stderr.write(`over budget: ${describeOverrun(o)}\n`);
    return over.length > 0 ? 1 : 0;
  }
  if (mode === 'cleanup-advice') {
    const advice = cleanupAdvice(report);
    out(json ? JSON.stringify({ workRoot: report.workRoot, over, commands: advice }) : advice.join('\n'));
    return 0;
  }
  throw new UsageError(`${mode ? `unknown mode "${mode}"` : 'missing mode'}\n\n${help}`);
}

async function prune(args: string[], apply: boolean, json: boolean, out: (t: string) => void): Promise<number> {
  const [raw, ...extra] = args;
  if (raw === undefined || !/^\d+$/.test(raw)) {
    throw new UsageError(`prune-proof-logs needs N, how many dated proof roots to keep per lane (got "${raw ?? ''}")`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const report = measureWorkRoot(workRoot());
  const plan = prunePlan(report, Number(raw));
  if (apply) await applyPrune(report, plan);
  const bytes = plan.reduce((n, r) => n + r.bytes, 0);
  if (json) {
    out(JSON.stringify({ workRoot: report.workRoot, keep: Number(raw), applied: apply, bytes, prune: plan }));
  } else {
    for (const r of plan) out(`${apply ? 'deleted' : 'would delete'} ${r.path}  (${formatSize(r.bytes)})`);
    out(
      `${plan.length} dated proof root(s), ${formatSize(bytes)}${apply ? ' freed' : '; run again with --apply to delete'}`,
    );
  }
  return 0;
}

function readBudgets(values: Record<string, string | boolean | undefined>): Budgets {
  const budgets = {} as Budgets;
  for (const kind of kinds) {
    const { flag, variable, defaultGiB } = budgetKinds[kind];
    const fromFlag = values[flag];
    const raw = typeof fromFlag === 'string' ? fromFlag : process.env[variable];
    const source = typeof fromFlag === 'string' ? `--${flag}` : variable;
    if (raw === undefined || raw === '') {
      budgets[kind] = defaultGiB;
      continue;
    }
    const n = Number(raw);
    if (!/^\s*\d*\.?\d+\s*$/.test(raw) || !Number.isFinite(n) || n <= 0) {
      throw new UsageError(`${source} must be a positive number of GiB, got "${raw}"`);
    }
    budgets[kind] = n;
  }
  return budgets;
}

function formatStatus(report: WorkRootReport, budgets: Budgets): string {
  const row = (label: string, bytes: number, budget?: number) =>
    `${label.padEnd(52)} ${formatSize(bytes).padStart(12)}${budget === undefined ? '' : `  / ${budget} GiB`}`;
  const lines = [
    `work root ${report.workRoot}${report.exists ? '' : ' (does not exist)'}`,
    row('total', report.bytes.total, budgets.total),
    row('test-cluster/state', report.bytes.state, budgets.state),
    row('disposable runtime folders', report.bytes.disposable, budgets.disposable),
    ...report.disposable.map((d) => row(`  ${d.name}`, d.bytes)),
    row('dated proof roots', report.bytes.proofLogs, budgets.proofLogs),
    ...report.proofRoots.map((r) => row(`  ${describeRoot(r)}${r.latest ? ' (latest)' : ''}`, r.bytes)),
  ];
  return lines.join('\n');
}
