import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/proof-root.ts';
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
  await Promise.all(tempRoots.map((d) => rm(d, { recursive: true, force: true })));
});

async function runFixture(
  mode: string,
  extraEnv: Record<string, string> = {},
  interrupt: false | NodeJS.Signals = false,
): Promise<Run> {
  const workRoot = await mkdtemp(join(tmpdir(), 'ucp-reporters-'));
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

async function laneResult(run: Run): Promise<LaneResult> {
  return LaneResult.parse(
    JSON.parse(await readFile(join(run.workRoot, 'fixture-lane', run.runId, 'result.json'), 'utf8')),
  );
}

describe('proof reporters in a real vitest run', () => {
  it('writes lane and suite proof roots, latest links and junit.xml for a passing lane', async () => {
    const run = await runFixture('pass');
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
    const run = await runFixture('fail');
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
    const run = await runFixture('hang', { UCP_FIXTURE_TIMEOUT: '15000' });
    expect(run.code).toBe(1);
    const lane = await laneResult(run);
    expect(lane.status).toBe('failed');
    expect(lane.failure?.kind).toBe('timeout');
    expect(lane.failure?.stepPath).toEqual(['fixture-lane', 'second sentence']);
  });

  it('leaves a complete result.json saying interrupted when the run gets SIGINT', async () => {
    const run = await runFixture('hang', {}, 'SIGINT');
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
    const run = await runFixture('hang', {}, 'SIGKILL');
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
});
