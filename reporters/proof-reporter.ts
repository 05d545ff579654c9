import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';
import { replaceSymlink, writeFileAtomic } from '../helpers/atomic.ts';
import { captureEnvironment, formatEnvironment } from '../helpers/environment.ts';
import { redactValue } from '../helpers/redact.ts';
import { LaneResult, type LaneStatus, SuiteResult } from '../profiles/result-schema.ts';
import { suiteRunContext } from './run-context.ts';

export interface ProofReporterOptions {
  /** work root (default: ULTRACLOUD_WORK_ROOT or ./work) */
  workRoot?: string;
  /** run id shared with the lanes (default: ULTRACLOUD_RUN_ID) */
  runId?: string;
}

/**
 * Writes the suite's proof root once the run ends — work/<suite>/<run-id>/result.json, environment.txt and the
 * `latest` link — listing each lane with its own proof root. Lanes write their own result.json as they run; this
 * reporter only reads them, so an interrupted run still leaves a suite verdict naming what did not finish.
 */
export default class ProofReporter implements Reporter {
  private readonly startedAt = new Date();
  private readonly context = suiteRunContext();
  private readonly options: ProofReporterOptions;
  constructor(options: ProofReporterOptions = {}) {
    this.options = options;
  }

  async onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    _errors: ReadonlyArray<unknown>,
    reason: TestRunEndReason,
  ): Promise<void> {
    const runId = this.options.runId ?? this.context.runId;
    const workRoot = this.options.workRoot ?? this.context.workRoot;
    const lanes: SuiteResult['lanes'] = [];
    for (const mod of testModules) {
      for (const tc of mod.children.allTests()) {
        const proofRoot = join(workRoot, tc.name, runId);
        const laneResult = await readLaneResult(join(proofRoot, 'result.json'));
        let status: LaneStatus;
        if (laneResult) status = laneResult.status;
        else {
          const state = tc.result().state;
          status =
            state === 'passed'
              ? 'passed'
              : state === 'failed'
                ? 'failed'
                : reason === 'interrupted'
                  ? 'interrupted'
                  : 'blocked';
        }
        lanes.push({ lane: tc.name, status, proofRoot: laneResult ? proofRoot : null });
      }
    }
    lanes.sort((a, b) => a.lane.localeCompare(b.lane));
    const failed = lanes.some((l) => l.status === 'failed');
    const status: LaneStatus =
      reason === 'interrupted'
        ? 'interrupted'
        : failed || reason === 'failed'
          ? 'failed'
          : lanes.every((l) => l.status === 'blocked') && lanes.length > 0
            ? 'blocked'
            : 'passed';
    const environment = await captureEnvironment();
    const suite = SuiteResult.parse(
      redactValue({
        schema: 'ultracloud-proof/suite-result@1',
        suite: process.env.ULTRACLOUD_SUITE_NAME || 'vitest-suite',
        runId,
        success: status === 'passed',
        status,
        startedAt: this.startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        lanes,
        environment,
      }),
    );
    const suiteRoot = join(workRoot, suite.suite, runId);
    await writeFileAtomic(join(suiteRoot, 'environment.txt'), formatEnvironment(environment));
    await writeFileAtomic(join(suiteRoot, 'result.json'), `${JSON.stringify(suite, null, 2)}\n`);
    await replaceSymlink(suiteRoot, join(workRoot, suite.suite, 'latest'));
  }
}

async function readLaneResult(path: string): Promise<LaneResult | undefined> {
  try {
    const parsed = LaneResult.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
