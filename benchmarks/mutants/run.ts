/**
 * The mutation campaign (`npm run mutants`): for each selected mutant, a scratch copy of the checkout under
 * <work root>/mutants/<id>/ with the mutant applied, the lane it names run there (its own work root, a fresh lab),
 * and the verdict read from the lane's result.json. Each lane first runs once unmutated; a lane whose baseline
 * fails leaves its mutants not measured. Writes benchmarks/results/proof-power.md and proof-power.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../helpers/atomic.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { projectNode } from '../../helpers/node-version.ts';
import { projectRoot, workRoot } from '../../helpers/proof-root.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import { type Mutant, mutants } from './catalogue.ts';
import { survivorExplanations } from './explanations.ts';
import {
  applyMutant,
  type BaselineRow,
  classifyRun,
  laneTestFiles,
  latestLaneResult,
  type MutantRow,
  MutantsUsageError,
  mergeResults,
  mutantsUsage,
  ProofPower,
  parseMutantsArgs,
  renderReport,
  scratchCopy,
  selectMutants,
  totals,
} from './runner.ts';

const resultsJson = join(projectRoot, 'benchmarks/results/proof-power.json');
const resultsMd = join(projectRoot, 'benchmarks/results/proof-power.md');
const log = (line: string) => process.stderr.write(`[mutants] ${line}\n`);

let interrupted = false;
/** stops the lane run in progress (Ctrl-C) */
let stopCurrent: (() => void) | null = null;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

interface LaneRun {
  result: unknown;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
}

/** Run one lane in a scratch checkout, its work root inside it; stops the child's process group on timeout or Ctrl-C. */
async function runLaneIn(checkout: string, lane: string, logFile: string, timeoutMs: number): Promise<LaneRun> {
  const laneRoot = join(checkout, 'work');
  const vitest = join(checkout, 'node_modules', 'vitest', 'vitest.mjs');
  const env: NodeJS.ProcessEnv = { ...process.env, ULTRACLOUD_WORK_ROOT: laneRoot };
  delete env.ULTRACLOUD_RUN_ID;
  const file = laneTestFiles[lane];
  if (!file) throw new Error(`no test file registers lane ${lane}`);
  const out = openSync(logFile, 'a');
  const started = Date.now();
  const child = spawn(projectNode(), [vitest, 'run', file, '-t', `^${lane.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`], {
    cwd: checkout,
    env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  let timedOut = false;
  let escalate: NodeJS.Timeout | undefined;
  const stop = (signal: NodeJS.Signals) => {
    killGroup(child, signal);
    // a lab's teardown gets a minute, then the group is killed and `cluster clean` takes what is left
    escalate ??= setTimeout(() => killGroup(child, 'SIGKILL'), 60_000);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop('SIGTERM');
  }, timeoutMs);
  stopCurrent = () => stop('SIGINT');
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
  clearTimeout(timer);
  if (escalate) clearTimeout(escalate);
  stopCurrent = null;
  closeSync(out);
  if (timedOut || interrupted || exitCode === null) await cleanLab(checkout, logFile);
  return { result: latestLaneResult(laneRoot, lane), exitCode, timedOut, durationMs: Date.now() - started };
}

/** `ucproof cluster clean` in the scratch checkout's work root: no lab, namespace or process is left behind. */
async function cleanLab(checkout: string, logFile: string): Promise<void> {
  const out = openSync(logFile, 'a');
  const child = spawn(projectNode(), [join(checkout, 'cli/main.ts'), 'cluster', 'clean'], {
    cwd: checkout,
    env: { ...process.env, ULTRACLOUD_WORK_ROOT: join(checkout, 'work') },
    stdio: ['ignore', out, out],
  });
  await new Promise<void>((resolve) => {
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
  closeSync(out);
}

function machine(): string {
  const c = cpus();
  return `${c.length} CPUs (${c[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`;
}

/** What guests of the lanes run on: probed by booting a guest (what the VM lanes themselves do), not by the device. */
async function accelerator(): Promise<string> {
  const probe = await probeAccelerator(await probeGuestImage());
  return `${probe.mode} (${probe.reason})`;
}

function readPrevious(): ProofPower | null {
  if (!existsSync(resultsJson)) return null;
  const parsed = ProofPower.safeParse(JSON.parse(readFileSync(resultsJson, 'utf8')));
  if (!parsed.success) throw new Error(`${resultsJson} does not match the proof-power schema: ${parsed.error.message}`);
  return parsed.data;
}

const fmt = (ms: number) => `${Math.round(ms / 1000)} s`;

async function main(argv: string[]): Promise<number> {
  const options = parseMutantsArgs(argv, mutants);
  if (options.help) {
    process.stdout.write(`${mutantsUsage}\n`);
    return 0;
  }
  if (options.list) {
    for (const m of mutants) process.stdout.write(`${m.id}\t${m.lane}\t${m.file}\t${m.breaks}\n`);
    return 0;
  }
  const previous = readPrevious();
  const selected = selectMutants(mutants, options, previous);
  if (!selected.length) {
    log('no mutant selected');
    return 0;
  }
  const base = join(workRoot(), 'mutants');
  const logs = join(base, 'logs');
  mkdirSync(logs, { recursive: true });
  const guestAccelerator = await accelerator();
  const campaignStart = Date.now();
  const rows: MutantRow[] = [];
  const baselines: BaselineRow[] = [];
  const write = async () => {
    const merged = mergeResults(
      previous,
      {
        updatedAt: new Date().toISOString(),
        machine: machine(),
        accelerator: guestAccelerator,
        baselines,
        mutants: rows,
        campaignWallMs: Date.now() - campaignStart,
      },
      mutants,
    );
    await writeFileAtomic(resultsJson, `${JSON.stringify(merged, null, 2)}\n`);
    await writeFileAtomic(resultsMd, renderReport(merged, survivorExplanations));
  };
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted: stopping the running lane and cleaning its lab');
    stopCurrent?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timeoutMs = options.timeoutMinutes * 60_000;
  const lanes = [...new Set(selected.map((m) => m.lane))];
  log(`${selected.length} mutants on ${lanes.length} lanes; scratch copies under ${base}`);

  const measure = async (name: string, mutant: Mutant | null, lane: string) => {
    const checkout = join(base, name);
    rmSync(checkout, { recursive: true, force: true });
    const logFile = join(logs, `${name}.log`);
    rmSync(logFile, { force: true });
    try {
      scratchCopy(projectRoot, checkout);
      if (mutant) applyMutant(checkout, mutant);
      const run = await runLaneIn(checkout, lane, logFile, timeoutMs);
      const resultFile = join(checkout, 'work', lane, 'latest', 'result.json');
      if (existsSync(resultFile)) cpSync(resultFile, join(logs, `${name}.result.json`));
      return run;
    } finally {
      if (!options.keep) rmSync(checkout, { recursive: true, force: true });
    }
  };

  const baselinePassed = new Map<string, boolean>();
  for (const lane of lanes) {
    if (interrupted) break;
    const run = await measure(`baseline-${lane}`, null, lane);
    const c = classifyRun(run.result, run);
    const passed = c.verdict === 'survived';
    baselinePassed.set(lane, passed);
    const detail = passed ? 'passed' : `${c.step ? `${c.step}: ` : ''}${c.detail}`;
    baselines.push({ lane, passed, detail, durationMs: run.durationMs, measuredAt: new Date().toISOString() });
    log(`baseline ${lane}: ${passed ? 'passed' : `FAILED (${detail})`} in ${fmt(run.durationMs)}`);
    await write();
  }

  let i = 0;
  for (const m of selected) {
    if (interrupted) break;
    i++;
    const row = (
      verdict: MutantRow['verdict'],
      step: string | null,
      detail: string,
      durationMs: number,
    ): MutantRow => ({
      id: m.id,
      file: m.file,
      lane: m.lane,
      breaks: m.breaks,
      verdict,
      step,
      detail,
      durationMs,
      measuredAt: new Date().toISOString(),
    });
    let r: MutantRow;
    if (!baselinePassed.get(m.lane)) {
      r = row('not-measured', null, `the unmutated ${m.lane} lane did not pass`, 0);
    } else {
      const run = await measure(m.id, m, m.lane);
      if (interrupted) break;
      const c = classifyRun(run.result, run);
      r = row(c.verdict, c.step, c.detail, run.durationMs);
    }
    rows.push(r);
    log(
      `${i}/${selected.length} ${m.id} (${m.lane}): ${r.verdict} in ${fmt(r.durationMs)}, elapsed ${fmt(Date.now() - campaignStart)}` +
        (r.verdict === 'caught' ? ` — ${r.step}` : r.verdict === 'invalid' ? ` — ${r.detail}` : ''),
    );
    await write();
  }
  await write();
  const t = totals(rows);
  log(
    `this run: ${t.caught} caught, ${t.survived} survived, ${t.invalid} invalid, ${t.notMeasured} not measured in ${fmt(Date.now() - campaignStart)}; ${resultsMd}`,
  );
  return interrupted ? 130 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof MutantsUsageError) {
      process.stderr.write(`mutants: ${err.message}\n${mutantsUsage}\n`);
      process.exit(2);
    }
    process.stderr.write(`mutants: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
