import { spawn } from 'node:child_process';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';
import { LaneResult, SuiteResult } from '../../profiles/result-schema.ts';

const vitestBin = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');
const fixtureConfig = join(projectRoot, 'tests', 'unit', 'fixtures', 'reporter-project', 'vitest.config.ts');

interface Run {
  code: number | null;
  output: string;
  workRoot: string;
  runId: string;
}

/** Run the fixture project in a real `vitest run` child, optionally interrupting it with SIGINT. */
const tempRoots: string[] = [];
afterAll(async () => {
  // every run has ended (a case that failed early did not wait on the runs after it)
  await Promise.allSettled(runs.values());
  await Promise.all(tempRoots.map((d) => rm(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 })));
});

async function runFixture(
  mode: string,
  extraEnv: Record<string, string> = {},
  interrupt: false | NodeJS.Signals = false,
): Promise<Run> {
  const workRoot = await workTempDir('reporters-');
  tempRoots.push(workRoot);
  const runId = `run-${mode}`;
  const child = spawn(process.execPath, [vitestBin, 'run', '--config', fixtureConfig], {
    cwd: projectRoot,
    env: {
      ...process.env,
      ULTRACLOUD_WORK_ROOT: workRoot,
      ULTRACLOUD_RUN_ID: runId,
      ULTRACLOUD_SUITE_NAME: 'fixture-suite',
      UCP_FIXTURE_MODE: mode,
      FORCE_COLOR: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (d: Buffer) => {
    output += d.toString();
    if (interrupt && output.includes('FIXTURE_LANE_WAITING')) child.kill(interrupt);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, output, workRoot, runId };
}

/**
 * The fixture runs the cases read: one per mode, environment and signal, shared by the cases about it (a case only
 * reads its run's proof files). All start before the first case, as many at a time as there are CPUs, in the order
 * the cases read them (the longest first): each case then waits on its own run at most, as when it started the run
 * itself.
 */
const runs = new Map<string, Promise<Run>>();
const runKey = (mode: string, extraEnv: Record<string, string>, interrupt: false | NodeJS.Signals) =>
  JSON.stringify([mode, extraEnv, interrupt]);
function fixtureRun(
  mode: string,
  extraEnv: Record<string, string> = {},
  interrupt: false | NodeJS.Signals = false,
): Promise<Run> {
  const run = runs.get(runKey(mode, extraEnv, interrupt));
  if (!run) throw new Error(`no fixture run ${runKey(mode, extraEnv, interrupt)} was started`);
  return run;
}

beforeAll(() => {
  // the run that waits out its lane's 15 s timeout first, beside the others, so it never queues behind them
  const wanted: Array<[string, Record<string, string>?, (false | NodeJS.Signals)?]> = [
    ['hang', { UCP_FIXTURE_TIMEOUT: '15000' }],
    ['pass'],
    ['fail'],
    ['hang', {}, 'SIGINT'],
    ['hang', {}, 'SIGKILL'],
    ['harness'],
    ['flaky'],
    ['setup-error'],
  ];
  let running = 0;
  const waiting: Array<() => void> = [];
  for (const [mode, extraEnv = {}, interrupt = false] of wanted) {
    const run = (async () => {
      while (running >= availableParallelism()) await new Promise<void>((resolve) => waiting.push(resolve));
      running += 1;
      try {
        return await runFixture(mode, extraEnv, interrupt);
      } finally {
        running -= 1;
        waiting.shift()?.();
      }
    })();
    // a run that fails to start fails the case that reads it
    run.catch(() => undefined);
    runs.set(runKey(mode, extraEnv, interrupt), run);
  }
});

async function laneResult(run: Run): Promise<LaneResult> {
  return LaneResult.parse(
    JSON.parse(await readFile(join(run.workRoot, 'fixture-lane', run.runId, 'result.json'), 'utf8')),
  );
}

describe('proof reporters in a real vitest run', () => {
  it('writes lane and suite proof roots, latest links and junit.xml for a passing lane', async () => {
    const run = await fixtureRun('pass');
    expect(run.code, run.output).toBe(0);
    const lane = await laneResult(run);
    expect(lane).toMatchObject({ status: 'passed', success: true, lane: 'fixture-lane' });
    expect(lane.steps.map((s) => [s.path.join(' › '), s.status])).toEqual([
      ['first sentence', 'passed'],
      ['second sentence', 'passed'],
    ]);
    const suiteRoot = join(run.workRoot, 'fixture-suite', run.runId);
    const suite = SuiteResult.parse(JSON.parse(await readFile(join(suiteRoot, 'result.json'), 'utf8')));
    expect(suite).toMatchObject({ status: 'passed', lanes: [{ lane: 'fixture-lane', status: 'passed' }] });
    expect(await readlink(join(run.workRoot, 'fixture-suite', 'latest'))).toBe(run.runId);
    expect(await readFile(join(suiteRoot, 'environment.txt'), 'utf8')).toMatch(/^execution_model=/m);
    const junit = await readFile(join(suiteRoot, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase [^>]*name="fixture-lane"/);
    expect(run.output).toContain('fixture-lane › first sentence');
  });

  it('names the step and the property in result.json, junit and the failure message', async () => {
    const run = await fixtureRun('fail');
    expect(run.code).toBe(1);
    const lane = await laneResult(run);
    expect(lane.failure).toMatchObject({
      kind: 'property',
      property: 'second property holds',
      stepPath: ['fixture-lane', 'second sentence'],
    });
    const junit = await readFile(join(run.workRoot, 'fixture-suite', run.runId, 'junit.xml'), 'utf8');
    expect(junit).toContain('fixture-lane › second sentence');
    expect(junit).toMatch(/<failure type="property"/);
    expect(junit).not.toMatch(/<error /);
    expect(run.output).toContain('property "second property holds" violated');
  });

  it('records a timed-out lane as failed with kind timeout, never a missing result', async () => {
    const run = await fixtureRun('hang', { UCP_FIXTURE_TIMEOUT: '15000' });
    expect(run.code).toBe(1);
    const lane = await laneResult(run);
    expect(lane.status).toBe('failed');
    expect(lane.failure?.kind).toBe('timeout');
    expect(lane.failure?.stepPath).toEqual(['fixture-lane', 'second sentence']);
  });

  it('leaves a complete result.json saying interrupted when the run gets SIGINT', async () => {
    const run = await fixtureRun('hang', {}, 'SIGINT');
    expect(run.code).not.toBe(0);
    const lane = await laneResult(run);
    expect(lane.status).toBe('interrupted');
    expect(lane.success).toBe(false);
    const suite = SuiteResult.parse(
      JSON.parse(await readFile(join(run.workRoot, 'fixture-suite', run.runId, 'result.json'), 'utf8')),
    );
    expect(suite).toMatchObject({ status: 'interrupted', success: false });
    const suiteRoot = join(run.workRoot, 'fixture-suite', run.runId);
    const junit = await readFile(join(suiteRoot, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/^<\?xml [^>]*\?>\n<testsuites [^>]*>[\s\S]*<\/testsuites>\n$/);
    expect(junit).toContain('<property name="status" value="interrupted"/>');
    expect(junit).toMatch(/<error type="interrupted"/);
    expect(await readlink(join(run.workRoot, 'fixture-suite', 'latest'))).toBe(run.runId);
    expect(await readFile(join(suiteRoot, 'environment.txt'), 'utf8')).not.toBe('');
  });

  it('leaves a parsing placeholder suite root, junit and latest after kill -9 of the vitest main', async () => {
    const run = await fixtureRun('hang', {}, 'SIGKILL');
    expect(run.code).toBeNull();
    const suiteRoot = join(run.workRoot, 'fixture-suite', run.runId);
    const suite = SuiteResult.parse(JSON.parse(await readFile(join(suiteRoot, 'result.json'), 'utf8')));
    expect(suite).toMatchObject({ status: 'interrupted', success: false, finishedAt: null });
    const junit = await readFile(join(suiteRoot, 'junit.xml'), 'utf8');
    expect(junit).toContain('<property name="status" value="interrupted"/>');
    expect(junit).toContain('</testsuites>');
    expect(await readlink(join(run.workRoot, 'fixture-suite', 'latest'))).toBe(run.runId);
    await readFile(join(suiteRoot, 'environment.txt'), 'utf8');
  });

  it('a property violation is a <failure> of class property, never rerun, with a failure bundle', async () => {
    const run = await fixtureRun('fail');
    expect(run.code).toBe(1);
    const lane = await laneResult(run);
    expect(lane).toMatchObject({ status: 'failed', failureClass: 'property', attempt: 1, attempts: [] });
    expect(lane.steps.map((s) => [s.path.join(' › '), s.status, s.failureClass])).toEqual([
      ['first sentence', 'passed', undefined],
      ['second sentence', 'failed', 'property'],
    ]);
    expect(run.output.match(/FIXTURE_ATTEMPT/g)).toHaveLength(1);
    const root = join(run.workRoot, 'fixture-lane', run.runId);
    expect(await readdir(root)).not.toContain('attempts');
    expect(lane.failureBundle).toBe('failure');
    const failure = await readFile(join(root, 'failure', 'failure.txt'), 'utf8');
    expect(failure).toContain('failure_class=property');
    expect(failure).toContain('step=fixture-lane › second sentence');
  });

  it('an ECONNREFUSED from a probe is an <error> of class harness, rerun once, both attempts kept', async () => {
    const run = await fixtureRun('harness');
    expect(run.code).toBe(1);
    const lane = await laneResult(run);
    expect(lane).toMatchObject({ status: 'failed', success: false, failureClass: 'harness', attempt: 2 });
    expect(lane.failure).toMatchObject({ kind: 'harness', stepPath: ['fixture-lane', 'second sentence'] });
    expect(lane.failure?.message).toContain('ECONNREFUSED');
    expect(lane.steps.find((s) => s.status === 'failed')?.failureClass).toBe('harness');
    expect(lane.attempts).toHaveLength(1);
    expect(lane.attempts[0]).toMatchObject({
      attempt: 1,
      status: 'failed',
      failureClass: 'harness',
      root: 'attempts/1',
    });
    expect(lane.attempts[0]?.failure?.message).toContain('ECONNREFUSED');
    const root = join(run.workRoot, 'fixture-lane', run.runId);
    const first = LaneResult.parse(JSON.parse(await readFile(join(root, 'attempts', '1', 'result.json'), 'utf8')));
    expect(first).toMatchObject({ status: 'failed', failureClass: 'harness', attempt: 1 });
    expect(first.steps.map((s) => s.status)).toEqual(['passed', 'failed']);
    // the second attempt's history is its own
    const history = await readFile(join(root, 'history.jsonl'), 'utf8');
    expect(history.match(/"event":"verdict"/g)).toHaveLength(1);
    const junit = await readFile(join(run.workRoot, 'fixture-suite', run.runId, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<error type="harness" message="[^"]*ECONNREFUSED/);
    expect(junit).toMatch(/<rerunError type="harness" message="[^"]*ECONNREFUSED/);
    expect(junit).not.toMatch(/<failure /);
    expect(junit).toMatch(/<testsuite [^>]*failures="0" errors="1"/);
  });

  it('a lane that passes on its rerun is flaky, a passing case with the earlier harness error', async () => {
    const run = await fixtureRun('flaky');
    expect(run.code, run.output).toBe(0);
    const lane = await laneResult(run);
    expect(lane).toMatchObject({ status: 'flaky', success: true, failureClass: null, attempt: 2 });
    expect(lane.steps.map((s) => s.status)).toEqual(['passed', 'passed']);
    expect(lane.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'failed', failureClass: 'harness', root: 'attempts/1' }),
    ]);
    expect(lane.attempts[0]?.steps.map((s) => s.status)).toEqual(['passed', 'failed']);
    const root = join(run.workRoot, 'fixture-lane', run.runId);
    expect(await readdir(join(root, 'attempts', '1'))).toEqual(expect.arrayContaining(['result.json', 'failure']));
    expect(lane.failureBundle).toBeNull();
    expect(await readdir(root)).not.toContain('failure');
    const suite = SuiteResult.parse(
      JSON.parse(await readFile(join(run.workRoot, 'fixture-suite', run.runId, 'result.json'), 'utf8')),
    );
    expect(suite).toMatchObject({
      status: 'passed',
      success: true,
      lanes: [{ lane: 'fixture-lane', status: 'flaky' }],
    });
    const junit = await readFile(join(run.workRoot, 'fixture-suite', run.runId, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite [^>]*failures="0" errors="0"/);
    expect(junit).toMatch(
      /<testcase [^>]*name="fixture-lane"[^>]*>\s*<properties>\s*<property name="status" value="flaky"\/>/,
    );
    expect(junit).toMatch(/<flakyError type="harness" message="[^"]*ECONNREFUSED/);
    expect(junit).not.toMatch(/<(failure|error) /);
  });

  it('a target that cannot be set up is a harness failure with a result.json, not a missing one', async () => {
    const run = await fixtureRun('setup-error');
    expect(run.code).toBe(1);
    const lane = await laneResult(run);
    expect(lane).toMatchObject({ status: 'failed', failureClass: 'harness', attempt: 2 });
    expect(lane.failure?.message).toContain('the fixture target could not be set up');
    const junit = await readFile(join(run.workRoot, 'fixture-suite', run.runId, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<error type="harness"/);
  });

  it("a failed lane's bundle holds the nodes' log tails, the state it touched and its rerun command, no secret", async () => {
    const run = await fixtureRun('harness');
    const bundle = join(run.workRoot, 'fixture-lane', run.runId, 'failure');
    const rerun = await readFile(join(bundle, 'rerun.txt'), 'utf8');
    expect(rerun.trim().split('\n')).toHaveLength(1);
    expect(rerun).toContain(`npx vitest run tests/unit/fixtures/reporter-project/demo.lane.ts -t '^fixture-lane$'`);
    expect(rerun).toContain('ULTRACLOUD_KEEP_CLUSTER=1');
    expect(rerun).toContain(`ULTRACLOUD_WORK_ROOT=${run.workRoot}`);
    expect(rerun).not.toContain('ULTRACLOUD_RUN_ID');
    const consoleTail = await readFile(join(bundle, 'logs', 'node01', 'console.log'), 'utf8');
    expect(consoleTail).toContain('NODE01_CONSOLE_LAST_LINE');
    expect(consoleTail).not.toContain('console line 0\n');
    expect(consoleTail.length).toBeLessThanOrEqual(64 * 1024);
    expect(await readFile(join(bundle, 'logs', 'node01', 'chainfire.log'), 'utf8')).toContain(
      'CHAINFIRE_LOG_LAST_LINE',
    );
    const state = JSON.parse(await readFile(join(bundle, 'state.json'), 'utf8'));
    expect(state).toMatchObject({ power: { node01: 'running' }, faults: ['chainfire:slow-apply@node01'] });
    expect(await readFile(join(bundle, 'failure.txt'), 'utf8')).toContain('failure_class=harness');
    // the first attempt left its own bundle
    await readFile(join(run.workRoot, 'fixture-lane', run.runId, 'attempts', '1', 'failure', 'rerun.txt'), 'utf8');
    // no proof file of the run holds a secret the nodes' logs held (the logs themselves are the target's)
    for (const dir of ['fixture-lane', 'fixture-suite']) {
      const files = (await readdir(join(run.workRoot, dir), { recursive: true, withFileTypes: true })).filter((e) =>
        e.isFile(),
      );
      expect(files.length).toBeGreaterThan(2);
      for (const f of files) {
        const text = await readFile(join(f.parentPath, f.name), 'utf8');
        expect(text, join(f.parentPath, f.name)).not.toContain('fixture-s3cr3t-token');
        expect(text, join(f.parentPath, f.name)).not.toContain('hunter2-fixture');
      }
    }
  });

  it('an interrupted lane leaves a failure bundle and is not rerun', async () => {
    const run = await fixtureRun('hang', {}, 'SIGINT');
    const bundle = join(run.workRoot, 'fixture-lane', run.runId, 'failure');
    // the worker outlives Vitest's main process by up to a watchdog interval; it writes the bundle as it exits
    await vi.waitFor(() => readFile(join(bundle, 'rerun.txt'), 'utf8'), { timeout: 15_000, interval: 200 });
    const lane = await laneResult(run);
    expect(lane).toMatchObject({ status: 'interrupted', failureClass: null, attempt: 1, failureBundle: 'failure' });
    expect(lane.steps.map((s) => s.status)).toEqual(['passed', 'interrupted']);
    expect(await readFile(join(bundle, 'rerun.txt'), 'utf8')).toContain("-t '^fixture-lane$'");
    expect(await readFile(join(bundle, 'failure.txt'), 'utf8')).toContain('status=interrupted');
  });
});
