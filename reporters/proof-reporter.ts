import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Reporter, TestCase, TestModule, TestRunEndReason } from 'vitest/node';
import { captureEnvironment, formatEnvironment } from '../helpers/environment.ts';
import { redactValue } from '../helpers/redact.ts';
import { LaneResult, type LaneStatus, SuiteResult } from '../profiles/result-schema.ts';
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
 * Writes the suite's proof root — work/<suite>/<run-id>/result.json, environment.txt and the `latest` link —
 * listing each lane with its own proof root. Lanes write their own result.json as they run; this reporter only
 * reads them. `vitest run` exits on Ctrl-C without calling onTestRunEnd, so the verdict is also written from the
 * process's exit hook: an interrupted run still leaves a complete suite result saying "interrupted".
 */
export default class ProofReporter implements Reporter {
  private readonly startedAt = new Date();
  private readonly runId: string;
  private readonly workRoot: string;
  private readonly suite: string;
  private readonly seen = new Map<string, TestCase['result'] extends () => infer R ? R | undefined : never>();
  private environment: Record<string, string> = {};
  private written = false;

  constructor(options: ProofReporterOptions = {}) {
    const context = suiteRunContext();
    this.runId = options.runId ?? context.runId;
    this.workRoot = options.workRoot ?? context.workRoot;
    this.suite = options.suite ?? (process.env.ULTRACLOUD_SUITE_NAME || 'vitest-suite');
  }

  onInit(): void {
    void captureEnvironment().then((env) => {
      this.environment = env;
    });
    process.once('exit', () => {
      if (!this.written) this.write('interrupted');
    });
  }

  onTestCaseReady(testCase: TestCase): void {
    this.seen.set(testCase.name, undefined);
  }

  onTestCaseResult(testCase: TestCase): void {
    this.seen.set(testCase.name, testCase.result());
  }

  async onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    _errors: ReadonlyArray<unknown>,
    reason: TestRunEndReason,
  ): Promise<void> {
    for (const mod of testModules) for (const tc of mod.children.allTests()) this.seen.set(tc.name, tc.result());
    this.environment = await captureEnvironment();
    this.write(reason);
  }

  private write(reason: TestRunEndReason): void {
    this.written = true;
    const lanes: SuiteResult['lanes'] = [];
    for (const [name, testResult] of this.seen) {
      const proofRoot = join(this.workRoot, name, this.runId);
      const laneResult = readLaneResult(join(proofRoot, 'result.json'));
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
      lanes.push({ lane: name, status, proofRoot: laneResult ? proofRoot : null });
    }
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
        finishedAt: new Date().toISOString(),
        lanes,
        environment: this.environment,
      }),
    );
    const suiteRoot = join(this.workRoot, this.suite, this.runId);
    writeAtomicSync(join(suiteRoot, 'environment.txt'), formatEnvironment(this.environment));
    writeAtomicSync(join(suiteRoot, 'result.json'), `${JSON.stringify(suite, null, 2)}\n`);
    const link = join(this.workRoot, this.suite, 'latest');
    const tmp = `${link}.${process.pid}.tmp`;
    symlinkSync(relative(dirname(link), suiteRoot), tmp);
    renameSync(tmp, link);
  }
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
