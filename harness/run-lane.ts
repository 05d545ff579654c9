import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BlockedError,
  failureClassOf,
  HarnessError,
  PropertyViolation,
  WaitTimeoutError,
} from '../contracts/errors.ts';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { captureEnvironment, formatEnvironment } from '../helpers/environment.ts';
import { archiveAttempt, currentRunId, openProofRoot, workRoot } from '../helpers/proof-root.ts';
import { redact, redactValue } from '../helpers/redact.ts';
import { type EventuallyOptions, eventually } from '../helpers/retry.ts';
import {
  type FailureClass,
  type LaneAttempt,
  LaneResult,
  type StartShape,
  type StepRecord,
  type TargetIdentity,
} from '../profiles/result-schema.ts';
import type { Fault, LaneContext, LaneDefinition } from './define.ts';
import {
  type FailureEvidence,
  failureBundleDir,
  writeFailureBundle,
  writeFailureBundleSync,
} from './failure-bundle.ts';
import { outOfShape } from './start-shape.ts';
import { timeouts } from './timeouts.ts';

export interface RunLaneOptions<C> {
  target: C;
  targetName: string;
  /** the target that runs the lane (descriptor name and kind, flake, git revision), for result.json and environment.txt */
  targetIdentity?: TargetIdentity | null;
  /** facts the target's driver recorded (environment.txt, result.json environment) */
  targetFacts?: Readonly<Record<string, string>>;
  /** the `service.operation`s the lane called, read when it ends (result.json `bindings.used`) */
  usedBindings?: () => readonly string[];
  runId?: string;
  workRoot?: string;
  signal?: AbortSignal;
  /** progress lines (step start/end); defaults to stderr */
  log?: (line: string) => void;
  /** called as each step starts and again when it ends (status and duration set), e.g. to annotate a Vitest test */
  onStep?: (step: Readonly<StepRecord>) => void;
  /**
   * the results of this lane's earlier attempts in this run, oldest first: their files move to attempts/<n>/,
   * this result lists them, and a pass after them is `flaky`
   */
  earlierAttempts?: readonly LaneResult[];
  /** where a failed or interrupted lane's failure bundle (failure/) comes from; without it none is written */
  evidence?: FailureEvidence;
  /**
   * before the first step: bring the target to the shape the lane starts from and say what it was
   * (harness/start-shape.ts); a shape that is not canonical, or one that cannot be had, fails the lane at its
   * "start shape" step without running the lane's own steps
   */
  startShape?: (log: (line: string) => void) => Promise<StartShape>;
}

/** Every lane context has bounded waits; the name is kept for lanes written against it. */
export type LaneContextWithWaits<C> = LaneContext<C>;

/**
 * Run one lane and leave its proof root: result.json (a placeholder saying "interrupted" from the first moment,
 * rewritten as each step starts and ends so it always holds the finished steps and the one running, replaced
 * atomically by the verdict), history.jsonl (every step and check as it happens), environment.txt, artifacts and
 * scope-fixed-contract.json. A lane whose process exits mid-step (SIGINT, a worker torn down) leaves a result.json
 * saying interrupted, with the step in progress marked interrupted (or still running after kill -9).
 */
export async function runLane<C>(
  def: LaneDefinition<C> & { run(ctx: LaneContextWithWaits<C>): Promise<void> },
  options: RunLaneOptions<C>,
): Promise<LaneResult> {
  const runId = options.runId ?? currentRunId();
  const root = options.workRoot ?? workRoot();
  const proofRoot = await openProofRoot(def.name, runId, root);
  const earlier = options.earlierAttempts ?? [];
  const attempts: LaneAttempt[] = [];
  for (const [i, r] of earlier.entries()) {
    const n = i + 1;
    if (i === earlier.length - 1) await archiveAttempt(proofRoot, n);
    attempts.push({
      attempt: n,
      status: r.status,
      failureClass: r.failureClass,
      failure: r.failure,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      steps: r.steps,
      root: `attempts/${n}`,
    });
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = new Date();
  const steps: StepRecord[] = [];
  const artifacts: string[] = [];
  const identity = options.targetIdentity ?? null;
  const envFacts: Record<string, string> = identity
    ? {
        ...options.targetFacts,
        target_name: identity.name,
        target_kind: identity.kind,
        ...(identity.flake ? { target_flake: identity.flake } : {}),
        ...(identity.gitRevision ? { target_git_revision: identity.gitRevision } : {}),
        ...(identity.bindings ? { target_bindings: identity.bindings } : {}),
      }
    : {};
  let used: string[] = [];
  const stack = new AsyncLocalStorage<StepRecord>();
  const historyPath = join(proofRoot, 'history.jsonl');
  const resultPath = join(proofRoot, 'result.json');
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let finished = false;
  let failureBundle: string | null = null;
  let startShape: StartShape | null = null;

  const history = (event: Record<string, unknown>) =>
    appendFileSync(historyPath, `${redact(JSON.stringify({ at: new Date().toISOString(), ...event }))}\n`);

  const build = (
    partial: Pick<LaneResult, 'status' | 'failure'> & { missing?: string[]; failureClass?: FailureClass | null },
    recorded: StepRecord[] = steps,
  ): LaneResult => {
    const finishedAt = partial.status === 'interrupted' && !finished ? null : new Date();
    const status = partial.status === 'passed' && attempts.length > 0 ? 'flaky' : partial.status;
    return LaneResult.parse(
      redactValue({
        schema: 'ultracloud-proof/result@1',
        lane: def.name,
        group: def.group,
        runId,
        target: options.targetName,
        targetIdentity: identity,
        success: status === 'passed' || status === 'flaky',
        status,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt?.toISOString() ?? null,
        durationMs: finishedAt ? finishedAt.getTime() - startedAt.getTime() : null,
        steps: recorded,
        failure: partial.failure,
        failureClass: partial.failureClass ?? null,
        failureBundle,
        attempt: attempts.length + 1,
        attempts,
        missingRequirements: partial.missing ?? [],
        bindings: def.requires || used.length ? { required: [...(def.requires ?? [])], used } : null,
        artifacts: [...artifacts].sort(),
        environment: envFacts,
        writerPid: process.pid,
        startShape,
      }),
    );
  };
  const writeSync = (result: LaneResult) => {
    const tmp = `${resultPath}.${process.pid}.sync.tmp`;
    writeFileSync(tmp, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(tmp, resultPath);
  };

  // Phase one: from the first moment there is a result.json, and it says the lane did not finish.
  const current = () => stack.getStore();
  const currentPath = () => {
    const s = current();
    return s ? [def.name, ...s.path] : [def.name];
  };
  // What result.json says until the verdict: interrupted, or the abort's reason once the lane was aborted.
  let unfinished: { status: 'interrupted' | 'failed'; kind: 'interrupted' | 'timeout'; message: string } = {
    status: 'interrupted',
    kind: 'interrupted',
    message: 'the lane has not finished',
  };
  const checkpoint = (recorded: StepRecord[] = steps): LaneResult | undefined => {
    if (finished) return;
    const { status, kind, message } = unfinished;
    const result = build(
      {
        status,
        failure: { kind, stepPath: runningPath(def.name, recorded), message },
        failureClass: kind === 'timeout' ? 'harness' : null,
      },
      recorded,
    );
    writeSync(result);
    return result;
  };
  checkpoint();
  const onAbort = () => {
    if (finished) return;
    const reason = controller.signal.reason;
    const timedOut = reason instanceof Error && /timed? ?out/i.test(reason.message);
    unfinished = {
      status: timedOut ? 'failed' : 'interrupted',
      kind: timedOut ? 'timeout' : 'interrupted',
      message: reason instanceof Error ? reason.message : 'lane aborted',
    };
    checkpoint();
  };
  controller.signal.addEventListener('abort', onAbort, { once: true });
  // The process going away mid-lane (SIGINT's exit, a worker torn down): the step in progress was interrupted.
  const onExit = () => {
    const recorded = steps.map((s) => (s.status === 'running' ? { ...s, status: 'interrupted' as const } : s));
    if (options.evidence && !finished) failureBundle = failureBundleDir;
    const result = checkpoint(recorded);
    if (result && options.evidence) {
      try {
        writeFailureBundleSync(proofRoot, result, options.evidence);
      } catch (err) {
        log(`  failure bundle not written: ${(err as Error).message}`);
      }
    }
  };
  process.once('exit', onExit);

  const undos: Array<{ title: string; undo: () => Promise<void> }> = [];
  const ctx: LaneContextWithWaits<C> = {
    target: options.target,
    proofRoot,
    signal: controller.signal,
    async step<T>(title: string, fn: () => Promise<T>): Promise<T> {
      const parent = current();
      const record: StepRecord = {
        path: parent ? [...parent.path, title] : [title],
        status: 'running',
        startedAt: new Date().toISOString(),
        durationMs: null,
        checks: [],
      };
      steps.push(record);
      const label = [def.name, ...record.path].join(' › ');
      log(`  ▶ ${label}`);
      options.onStep?.(record);
      history({ event: 'step-start', path: record.path });
      checkpoint();
      const t0 = performance.now();
      try {
        controller.signal.throwIfAborted();
        const value = await stack.run(record, fn);
        record.status = 'passed';
        return value;
      } catch (err) {
        record.status =
          err instanceof BlockedError
            ? 'blocked'
            : unfinished.kind === 'interrupted' && controller.signal.aborted
              ? 'interrupted'
              : 'failed';
        if (record.status === 'failed') record.failureClass = failureClassOf(err) ?? 'harness';
        throw err;
      } finally {
        record.durationMs = Math.round(performance.now() - t0);
        history({ event: 'step-end', path: record.path, status: record.status, durationMs: record.durationMs });
        checkpoint();
        log(`  ${record.status === 'passed' ? '✓' : '✗'} ${label} (${record.durationMs} ms)`);
        options.onStep?.(record);
      }
    },
    check(property: string, ok: boolean, detail?: string): void {
      const s = current();
      const entry = detail === undefined ? { property, ok } : { property, ok, detail: redact(detail) };
      s?.checks.push(entry);
      history({ event: 'check', path: s?.path ?? [], ...entry });
      if (!ok) throw new PropertyViolation(property, currentPath(), detail);
    },
    async eventually<T>(property: string, probe: () => Promise<T>, opts?: EventuallyOptions): Promise<T> {
      const stopTicker = waitProgress(property, opts?.timeoutMs ?? 30_000, (line) => log(`    ${line}`));
      try {
        const value = await eventually(probe, { ...opts, signal: controller.signal, what: property });
        ctx.check(property, true);
        return value;
      } catch (err) {
        if (err instanceof WaitTimeoutError) ctx.check(property, false, err.message);
        throw err;
      } finally {
        stopTicker();
      }
    },
    async until<T>(
      property: string,
      probe: () => Promise<T>,
      predicate: (value: T) => boolean,
      opts?: EventuallyOptions,
    ): Promise<T> {
      return await ctx.eventually(
        property,
        async () => {
          const value = await probe();
          if (!predicate(value)) throw new Error(`last seen: ${describeValue(value)}`);
          return value;
        },
        { timeoutMs: timeouts.converge, ...opts },
      );
    },
    defer(title: string, undo: () => Promise<void>): void {
      undos.push({ title, undo });
    },
    async withFault<T>(fault: Fault, body: () => Promise<T>): Promise<T> {
      if (fault.name === 'no fault') return await body();
      let healed = false;
      const heal = async () => {
        if (healed) return;
        healed = true;
        await fault.heal();
      };
      await ctx.step(`inject ${fault.name}`, () => fault.inject());
      ctx.defer(`heal ${fault.name}`, heal);
      const value = await body();
      await ctx.step(`heal ${fault.name}`, heal);
      if (fault.recovered) {
        const recovered = fault.recovered;
        await ctx.step(`recovered from ${fault.name}`, () =>
          ctx.until(
            `the target recovers from ${fault.name}`,
            () => recovered(),
            (ok) => ok,
            {
              timeoutMs: timeouts.recovery,
            },
          ),
        );
      }
      return value;
    },
    async artifact(name: string, content: string | Uint8Array | object): Promise<string> {
      if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(name) || name.includes('..')) {
        throw new Error(`invalid artifact name "${name}"`);
      }
      const path = join(proofRoot, name);
      const data =
        content instanceof Uint8Array
          ? content
          : redact(typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
      await writeFileAtomic(path, data);
      if (!artifacts.includes(name)) artifacts.push(name);
      return path;
    },
    block(missing: string[]): never {
      throw new BlockedError(missing);
    },
    log(message: string): void {
      log(`    ${redact(message)}`);
      history({ event: 'log', path: current()?.path ?? [], message });
    },
    recordEnvironment(facts: Record<string, string>): void {
      Object.assign(envFacts, facts);
    },
  };

  // the start shape: recorded in result.json; a lane that cannot start from the canonical shape says so at once
  const startFrom = async (prepare: NonNullable<RunLaneOptions<C>['startShape']>) => {
    let problem: string | null = null;
    try {
      startShape = await prepare((line) => log(`  ${line}`));
      if (!startShape.canonical) {
        problem = `the cluster is not in its canonical shape${startShape.restores.length ? ' even after a restore' : ''} (an earlier lane or run left it changed): ${outOfShape(startShape.checks)}`;
      }
    } catch (err) {
      problem = `the cluster could not be brought to its canonical shape: ${(err as Error).message}`;
    }
    history({ event: 'start-shape', startShape });
    checkpoint();
    if (problem) {
      const message = problem;
      // not the target's broken property: the lane never ran; a broken harness, so Vitest runs the lane once more
      await ctx.step('start shape', async () => {
        throw new HarnessError(message);
      });
    }
  };

  // every registered undo, newest first, each a step; the first failure among them is returned
  const runUndos = async (): Promise<unknown> => {
    let first: unknown;
    while (undos.length) {
      const { title, undo } = undos.pop() as (typeof undos)[number];
      try {
        await stack.exit(() => ctx.step(`undo: ${title}`, undo));
      } catch (err) {
        first ??= err;
      }
    }
    return first;
  };

  let result: LaneResult;
  try {
    if (def.scopeContract) await ctx.artifact('scope-fixed-contract.json', def.scopeContract);
    let failure: { err: unknown; path: string[] } | undefined;
    try {
      if (options.startShape) await startFrom(options.startShape);
      await def.run(ctx);
    } catch (err) {
      failure = { err, path: currentPathFromSteps(def.name, steps) };
    }
    const undoFailure = await runUndos();
    if (!failure && undoFailure !== undefined)
      failure = { err: undoFailure, path: currentPathFromSteps(def.name, steps) };
    if (failure) throw failure;
    finished = true;
    result = build({ status: 'passed', failure: null });
  } catch (caught) {
    finished = true;
    const { err, path } =
      caught && typeof caught === 'object' && 'path' in caught && 'err' in caught
        ? (caught as { err: unknown; path: string[] })
        : { err: caught, path: currentPathFromSteps(def.name, steps) };
    result = build(classify(err, path, controller.signal));
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);

    controller.signal.removeEventListener('abort', onAbort);
    process.removeListener('exit', onExit);
  }
  used = [...(options.usedBindings?.() ?? [])].sort();
  if (def.requires || used.length) result.bindings = { required: [...(def.requires ?? [])], used };
  const env = { ...(await captureEnvironment()), ...envFacts };
  Object.assign(envFacts, env);
  result.environment = redactValue(env);
  await writeFileAtomic(join(proofRoot, 'environment.txt'), redact(formatEnvironment(env)));
  if (!result.artifacts.includes('environment.txt')) result.artifacts.push('environment.txt');
  result.artifacts.sort();
  if (options.evidence && (result.status === 'failed' || result.status === 'interrupted')) {
    try {
      result.failureBundle = await writeFailureBundle(proofRoot, result, options.evidence);
    } catch (err) {
      log(`  failure bundle not written: ${(err as Error).message}`);
    }
  }
  await writeFileAtomic(resultPath, `${JSON.stringify(result, null, 2)}\n`);
  history({ event: 'verdict', status: result.status });
  return result;
}

function describeValue(value: unknown): string {
  try {
    const s = typeof value === 'string' ? value : JSON.stringify(value);
    return (s ?? String(value)).slice(0, 300);
  } catch {
    return String(value).slice(0, 300);
  }
}

/**
 * The innermost step still running, or stopped while it ran (abort listeners run outside the step's context), else
 * the last one that failed.
 */
function runningPath(lane: string, steps: StepRecord[]): string[] {
  const running = steps.filter((s) => s.status === 'running' || s.status === 'interrupted').at(-1);
  // no step running any more: the process went away between a step's failure and the lane's verdict
  return running ? [lane, ...running.path] : currentPathFromSteps(lane, steps);
}

function currentPathFromSteps(lane: string, steps: StepRecord[]): string[] {
  const failed = [...steps]
    .reverse()
    .find((s) => s.status === 'failed' || s.status === 'blocked' || s.status === 'interrupted');
  return failed ? [lane, ...failed.path] : [lane];
}

function classify(
  err: unknown,
  stepPath: string[],
  signal: AbortSignal,
): Pick<LaneResult, 'status' | 'failure' | 'failureClass'> & { missing?: string[] } {
  const message = redact(err instanceof Error ? err.message : String(err));
  if (err instanceof BlockedError) {
    return {
      status: 'blocked',
      failure: { kind: 'harness', stepPath, message },
      failureClass: null,
      missing: err.missing,
    };
  }
  if (err instanceof PropertyViolation) {
    return {
      status: 'failed',
      failure: { kind: 'property', stepPath, property: err.property, message },
      failureClass: 'property',
    };
  }
  if (signal.aborted) {
    const timedOut = /timed? ?out/i.test(message);
    return {
      status: timedOut ? 'failed' : 'interrupted',
      failure: { kind: timedOut ? 'timeout' : 'interrupted', stepPath, message },
      failureClass: timedOut ? 'harness' : null,
    };
  }
  const kind = err instanceof WaitTimeoutError ? 'timeout' : 'harness';
  return { status: 'failed', failure: { kind, stepPath, message }, failureClass: 'harness' };
}

/** How often a long wait says what it awaits and how long it has left. */
const waitProgressEveryMs = 10_000;

/**
 * For a wait bounded by more than twice the progress period: a line every period naming what is awaited, the time
 * spent and the time left, so a long wait is never silent. Returns the function that stops it.
 */
export function waitProgress(what: string, timeoutMs: number, write: (line: string) => void): () => void {
  if (timeoutMs <= 2 * waitProgressEveryMs) return () => {};
  const started = performance.now();
  const timer = setInterval(() => {
    const spent = (performance.now() - started) / 1000;
    write(
      `… awaiting "${what}": ${spent.toFixed(0)} s so far, ${Math.max(0, timeoutMs / 1000 - spent).toFixed(0)} s left`,
    );
  }, waitProgressEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
