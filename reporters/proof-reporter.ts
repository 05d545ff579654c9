import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Reporter, TestCase, TestModule, TestRunEndReason } from 'vitest/node';
import { captureEnvironment, formatEnvironment } from '../helpers/environment.ts';
import { redactValue } from '../helpers/redact.ts';
import { LaneMeta, LaneResult, type LaneStatus, SuiteResult, type TargetIdentity } from '../profiles/result-schema.ts';
import { recordDurations } from './durations.ts';
import { formatJUnit, type JUnitCase, stepCases } from './junit.ts';
import { suiteRunContext } from './run-context.ts';

export interface ProofReporterOptions {
  /** work root (default: ULTRACLOUD_WORK_ROOT or ./work) */
  workRoot?: string;
  /** run id shared with the lanes (default: ULTRACLOUD_RUN_ID) */
  runId?: string;
  /** suite name, the folder of the suite's proof root (default: ULTRACLOUD_SUITE_NAME or "vitest-suite") */
  suite?: string;
}

/**
 * Writes the suite's proof root — work/<suite>/<run-id>/result.json, environment.txt, junit.xml and the `latest`
 * link — listing each lane with its own proof root. Like a lane's, the root exists from the run's first moment:
 * at init a placeholder saying "interrupted" (result.json, environment.txt, a valid junit.xml marking the run
 * interrupted) and `latest` pointing at it, each later replaced atomically. Lanes write their own result.json as
 * they run; this reporter only reads them. `vitest run` exits on Ctrl-C without calling onTestRunEnd, so the
 * verdict is also written from the process's exit hook; after kill -9 the placeholder is what stays.
 *
 * Each lane's test also carries its result in its task meta (harness/proof-lane.ts), which blob reports keep: in
 * `vitest --merge-reports` this reporter sees lanes that ran on other shards and hosts, takes their verdicts from
 * there, and points at their proof roots where `ucproof merge-proofs` copied them into this work root. Beside
 * junit.xml it writes junit-steps.xml (one testcase per step, named `lane › step`), and it keeps each test file's
 * duration in the work root (.lane-durations.json) for the next sharded run to balance its shards.
 */
export default class ProofReporter implements Reporter {
  private readonly startedAt = new Date();
  private readonly runId: string;
  private readonly workRoot: string;
  private readonly suite: string;
  private readonly seen = new Map<string, TestCase['result'] extends () => infer R ? R | undefined : never>();
  private readonly cases = new Map<string, TestCase>();
  private environment: Record<string, string> = {};
  private written = false;

  constructor(options: ProofReporterOptions = {}) {
    const context = suiteRunContext();
    this.runId = options.runId ?? context.runId;
    this.workRoot = options.workRoot ?? context.workRoot;
    this.suite = options.suite ?? (process.env.ULTRACLOUD_SUITE_NAME || 'vitest-suite');
  }

  onInit(): void {
    this.write('interrupted', true);
    void captureEnvironment().then((env) => {
      this.environment = env;
      if (!this.written) writeAtomicSync(join(this.suiteRoot(), 'environment.txt'), formatEnvironment(env));
    });
    process.once('exit', () => {
      if (!this.written) this.write('interrupted');
    });
  }

  onTestCaseReady(testCase: TestCase): void {
    this.seen.set(testCase.name, undefined);
    this.cases.set(testCase.name, testCase);
  }

  onTestCaseResult(testCase: TestCase): void {
    this.seen.set(testCase.name, testCase.result());
    this.cases.set(testCase.name, testCase);
  }

  async onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    _errors: ReadonlyArray<unknown>,
    reason: TestRunEndReason,
  ): Promise<void> {
    for (const mod of testModules)
      for (const tc of mod.children.allTests()) {
        this.seen.set(tc.name, tc.result());
        this.cases.set(tc.name, tc);
      }
    this.environment = await captureEnvironment();
    const lanes = this.write(reason);
    recordDurations(this.workRoot, [...this.cases.values()]);
    // nothing passed and something is blocked: not a green run (exit 3, as a --require-kvm preflight block)
    const states = [...this.seen.values()].map((r) => r?.state);
    const blocked = lanes.some((l) => l.status === 'blocked');
    if (reason === 'passed' && blocked && !states.includes('passed') && !process.exitCode) {
      process.stderr.write(`[proof] nothing passed and lanes are blocked: exit 3\n`);
      process.exitCode = 3;
    }
  }

  /** A lane's result and where it ran: from its test's meta (live or merged run), else from its proof root. */
  private laneOf(name: string): { result?: LaneResult; proofRoot: string | null; host?: string; shard?: string } {
    const meta = LaneMeta.safeParse(this.cases.get(name)?.meta().ucproof);
    if (meta.success) {
      const { result, host, shard, workRoot } = meta.data;
      const here = join(this.workRoot, name, result.runId);
      const proofRoot = existsSync(here) ? here : `${host}:${join(workRoot, name, result.runId)}`;
      return { result, proofRoot, host, ...(shard ? { shard } : {}) };
    }
    const proofRoot = join(this.workRoot, name, this.runId);
    const result = readLaneResult(join(proofRoot, 'result.json'));
    return { ...(result ? { result } : {}), proofRoot: result ? proofRoot : null };
  }

  private suiteRoot(): string {
    return join(this.workRoot, this.suite, this.runId);
  }

  private write(reason: TestRunEndReason, placeholder = false): SuiteResult['lanes'] {
    if (!placeholder) this.written = true;
    const lanes: SuiteResult['lanes'] = [];
    const junitCases: JUnitCase[] = [];
    const stepJUnitCases: JUnitCase[] = [];
    const targets = new Map<string, TargetIdentity>();
    for (const [name, testResult] of this.seen) {
      const { result: laneResult, proofRoot, host, shard } = this.laneOf(name);
      const state = testResult?.state;
      const status: LaneStatus =
        laneResult?.status ??
        (state === 'passed'
          ? 'passed'
          : state === 'failed'
            ? 'failed'
            : state === 'skipped'
              ? 'blocked'
              : 'interrupted');
      lanes.push({
        lane: name,
        status,
        proofRoot,
        missing: status === 'blocked' ? (laneResult?.missingRequirements ?? []) : [],
        shard: shard ?? null,
        host: host ?? null,
      });
      const t = laneResult?.targetIdentity;
      if (t) targets.set(JSON.stringify(t), t);
      junitCases.push(junitCase(name, this.cases.get(name), status, laneResult));
      if (laneResult) stepJUnitCases.push(...stepCases(laneResult));
    }
    junitCases.sort((a, b) => a.name.localeCompare(b.name));
    lanes.sort((a, b) => a.lane.localeCompare(b.lane));
    const status = suiteStatus(lanes, reason);
    const suite = SuiteResult.parse(
      redactValue({
        schema: 'ultracloud-proof/suite-result@1',
        suite: this.suite,
        runId: this.runId,
        success: status === 'passed',
        status,
        startedAt: this.startedAt.toISOString(),
        finishedAt: placeholder ? null : new Date().toISOString(),
        targets: [...targets.values()],
        lanes,
        environment: this.environment,
        writerPid: process.pid,
      }),
    );
    const suiteRoot = this.suiteRoot();
    writeAtomicSync(join(suiteRoot, 'environment.txt'), formatEnvironment(this.environment));
    writeAtomicSync(join(suiteRoot, 'result.json'), `${JSON.stringify(suite, null, 2)}\n`);
    writeAtomicSync(
      join(suiteRoot, 'junit.xml'),
      formatJUnit(this.suite, junitCases, status === 'interrupted', this.startedAt, targetProperties(suite.targets)),
    );
    writeAtomicSync(
      join(suiteRoot, 'junit-steps.xml'),
      formatJUnit(`${this.suite} steps`, stepJUnitCases, status === 'interrupted', this.startedAt),
    );
    const link = join(this.workRoot, this.suite, 'latest');
    const tmp = `${link}.${process.pid}.tmp`;
    rmSync(tmp, { force: true });
    symlinkSync(relative(dirname(link), suiteRoot), tmp);
    renameSync(tmp, link);
    return suite.lanes;
  }
}

function junitCase(
  name: string,
  testCase: TestCase | undefined,
  status: LaneStatus,
  lane: LaneResult | undefined,
): JUnitCase {
  const result = testCase?.result();
  const duration = testCase?.diagnostic()?.duration ?? lane?.durationMs ?? 0;
  const errors = result?.state === 'failed' ? (result.errors ?? []) : [];
  const detail = errors.map((e) => e.stack ?? e.message).join('\n\n') || undefined;
  const base = {
    name,
    classname: testCase?.module.relativeModuleId ?? name,
    timeSeconds: duration / 1000,
    message: lane?.failure?.message ?? errors[0]?.message,
    detail,
  };
  const earlier = (lane?.attempts ?? []).flatMap((a) =>
    a.failure && a.failureClass
      ? [{ failureClass: a.failureClass, type: a.failure.kind, message: a.failure.message }]
      : [],
  );
  if (status === 'passed') return { ...base, outcome: 'passed' };
  if (status === 'flaky') {
    return { ...base, message: undefined, detail: undefined, outcome: 'flaky', earlier };
  }
  if (status === 'blocked') return { ...base, outcome: 'skipped' };
  if (status === 'interrupted') return { ...base, outcome: 'interrupted' };
  // a property violation is a <failure>; anything else that failed (no verdict from the lane) is the harness's
  if (lane?.failureClass === 'property' || lane?.failure?.kind === 'property')
    return { ...base, outcome: 'property', earlier };
  const kind = lane?.failure?.kind;
  return { ...base, outcome: kind === 'timeout' ? 'timeout' : 'harness', earlier };
}

/** The targets that ran, as JUnit properties (target.name, target.kind, target.flake, target.git_revision). */
function targetProperties(targets: TargetIdentity[]): Array<[string, string]> {
  return targets.flatMap((t, i) => {
    const p = targets.length > 1 ? `target.${i}` : 'target';
    return [
      [`${p}.name`, t.name],
      [`${p}.kind`, t.kind],
      ...(t.flake ? [[`${p}.flake`, t.flake] as [string, string]] : []),
      ...(t.gitRevision ? [[`${p}.git_revision`, t.gitRevision] as [string, string]] : []),
      ...(t.bindings ? [[`${p}.bindings`, t.bindings] as [string, string]] : []),
    ] as Array<[string, string]>;
  });
}

function suiteStatus(lanes: SuiteResult['lanes'], reason: TestRunEndReason): LaneStatus {
  if (reason === 'interrupted' || lanes.some((l) => l.status === 'interrupted')) return 'interrupted';
  if (reason === 'failed' || lanes.some((l) => l.status === 'failed')) return 'failed';
  if (lanes.length > 0 && lanes.every((l) => l.status === 'blocked')) return 'blocked';
  return 'passed';
}

/** Synchronous, so it also works from the process's exit hook. */
function writeAtomicSync(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function readLaneResult(path: string): LaneResult | undefined {
  try {
    const parsed = LaneResult.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
