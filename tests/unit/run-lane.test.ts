import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { defineLane } from '../../harness/define.ts';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { LaneResult } from '../../profiles/result-schema.ts';

/** Every root a test makes, removed after it: under the work root's tmp/, never the host's /tmp. */
const roots: string[] = [];
async function tempRoot() {
  const root = await workTempDir('runlane-');
  roots.push(root);
  return root;
}
afterEach(async () => {
  for (const dir of roots.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('runLane', () => {
  it('records nested timed steps, checks and artifacts, and links latest', async () => {
    const root = await tempRoot();
    const lane = defineLane<{ answer: number }>({
      name: 'demo-lane',
      group: 'lab',
      summary: 'demo',
      scopeContract: { supported: ['one drain cycle'] },
      async run(ctx) {
        await ctx.step('outer', async () => {
          await ctx.step('inner', async () => ctx.check('answer is 42', ctx.target.answer === 42));
        });
        await ctx.artifact('data.json', { ok: true });
      },
    });
    const result = await runLane(lane, {
      target: { answer: 42 },
      targetName: 't',
      runId: 'r1',
      workRoot: root,
      log: () => {},
    });
    expect(result.status).toBe('passed');
    expect(result.steps.map((s) => s.path.join('/'))).toEqual(['outer', 'outer/inner']);
    expect(result.steps[1]?.checks).toEqual([{ property: 'answer is 42', ok: true }]);
    const onDisk = LaneResult.parse(JSON.parse(await readFile(join(root, 'demo-lane', 'r1', 'result.json'), 'utf8')));
    expect(onDisk.artifacts).toEqual(['data.json', 'environment.txt', 'scope-fixed-contract.json']);
    expect(await readlink(join(root, 'demo-lane', 'latest'))).toBe('r1');
    expect(await readFile(join(root, 'demo-lane', 'r1', 'environment.txt'), 'utf8')).toMatch(/^cpu_count=\d+$/m);
  });

  it('names the step and the broken property when a check fails, and redacts secrets', async () => {
    const root = await tempRoot();
    registerSecret('s3cr3t-bootstrap-token');
    const lane = defineLane<null>({
      name: 'failing-lane',
      group: 'lab',
      summary: 'fails',
      async run(ctx) {
        await ctx.step('phone home', async () => {
          ctx.log('using token s3cr3t-bootstrap-token');
          ctx.check('deployer accepts phone-home', false, 'HTTP 403 for token s3cr3t-bootstrap-token');
        });
      },
    });
    const result = await runLane(lane, { target: null, targetName: 't', runId: 'r2', workRoot: root, log: () => {} });
    expect(result.status).toBe('failed');
    expect(result.failure).toMatchObject({
      kind: 'property',
      property: 'deployer accepts phone-home',
      stepPath: ['failing-lane', 'phone home'],
    });
    const files = await Promise.all(
      ['result.json', 'history.jsonl'].map((f) => readFile(join(root, 'failing-lane', 'r2', f), 'utf8')),
    );
    for (const text of files) expect(text).not.toContain('s3cr3t-bootstrap-token');
  });

  it('reports blocked lanes with their missing requirements', async () => {
    const root = await tempRoot();
    const lane = defineLane<null>({
      name: 'blocked-lane',
      group: 'lab',
      summary: 'blocked',
      async run(ctx) {
        await ctx.step('preflight', async () => ctx.block(['/dev/kvm (readable and writable)']));
      },
    });
    const result = await runLane(lane, { target: null, targetName: 't', runId: 'r3', workRoot: root, log: () => {} });
    expect(result).toMatchObject({
      status: 'blocked',
      success: false,
      missingRequirements: ['/dev/kvm (readable and writable)'],
    });
  });
});

const exitListeners = process.listenerCount('exit');

describe('an interrupted lane keeps its steps', () => {
  const made: string[] = [];
  afterEach(async () => {
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const workDir = async () => {
    const dir = await workTempDir('run-lane-interrupted-');
    made.push(dir);
    return dir;
  };
  const fixture = join(import.meta.dirname, 'fixtures', 'interrupted-lane', 'lane.ts');
  const readResult = async (root: string, runId: string) =>
    LaneResult.parse(JSON.parse(await readFile(join(root, 'interrupted-lane', runId, 'result.json'), 'utf8')));
  const history = async (root: string, runId: string) =>
    (await readFile(join(root, 'interrupted-lane', runId, 'history.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; path: string[]; status?: string });

  /** Start the fixture lane in its own process and resolve once it waits inside its second step. */
  async function laneWaitingMidStep(root: string, runId: string, mode?: string) {
    const child = spawn(process.execPath, [fixture, root, runId, ...(mode ? [mode] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => line === 'waiting' && resolve());
      void exited.then(([code, signal]) => reject(new Error(`fixture lane exited early (${signal ?? code})`)));
    });
    return { child, exited };
  }

  it('a process killed mid-step leaves the finished steps and the running ones', async () => {
    const root = await workDir();
    const { child, exited } = await laneWaitingMidStep(root, 'killed');
    child.kill('SIGKILL');
    expect((await exited)[1]).toBe('SIGKILL');
    const result = await readResult(root, 'killed');
    expect(result).toMatchObject({ status: 'interrupted', success: false, finishedAt: null });
    expect(result.steps.map((s) => [s.path.join('/'), s.status])).toEqual([
      ['first', 'passed'],
      ['second', 'running'],
      ['second/inner', 'running'],
    ]);
    expect(result.steps[0]?.checks).toEqual([{ property: 'the first step holds', ok: true }]);
    expect(result.failure).toMatchObject({ kind: 'interrupted', stepPath: ['interrupted-lane', 'second', 'inner'] });
    // the same steps history.jsonl shows as finished and started
    const events = await history(root, 'killed');
    expect(events.filter((e) => e.event === 'step-end').map((e) => e.path.join('/'))).toEqual(['first']);
    expect(events.filter((e) => e.event === 'step-start').map((e) => e.path.join('/'))).toEqual(
      result.steps.map((s) => s.path.join('/')),
    );
  });

  it('a process that exits on SIGINT mid-step marks the step in progress interrupted', async () => {
    const root = await workDir();
    const { child, exited } = await laneWaitingMidStep(root, 'sigint', 'exit-on-sigint');
    child.kill('SIGINT');
    expect((await exited)[0]).toBe(130);
    const result = await readResult(root, 'sigint');
    expect(result.status).toBe('interrupted');
    expect(result.steps.map((s) => [s.path.join('/'), s.status])).toEqual([
      ['first', 'passed'],
      ['second', 'interrupted'],
      ['second/inner', 'interrupted'],
    ]);
    expect(result.failure).toMatchObject({ kind: 'interrupted', stepPath: ['interrupted-lane', 'second', 'inner'] });
  });

  it('an aborted lane records the step it was in as interrupted, the finished ones as they ended', async () => {
    const root = await workDir();
    const abort = new AbortController();
    const lane = defineLane<null>({
      name: 'interrupted-lane',
      group: 'lab',
      summary: 'aborted mid-step',
      async run(ctx) {
        await ctx.step('first', async () => ctx.check('the first step holds', true));
        await ctx.step('second', async () => {
          setTimeout(() => abort.abort(new Error('vitest teardown')), 20);
          await ctx.eventually('never', async () => {
            throw new Error('not yet');
          });
        });
      },
    });
    const result = await runLane(lane, {
      target: null,
      targetName: 't',
      runId: 'aborted',
      workRoot: root,
      signal: abort.signal,
      log: () => {},
    });
    expect(result.status).toBe('interrupted');
    expect(result.steps.map((s) => [s.path.join('/'), s.status])).toEqual([
      ['first', 'passed'],
      ['second', 'interrupted'],
    ]);
    expect(result.failure).toMatchObject({ kind: 'interrupted', stepPath: ['interrupted-lane', 'second'] });
    expect(await readResult(root, 'aborted')).toMatchObject({ status: 'interrupted', steps: result.steps });
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });
});
