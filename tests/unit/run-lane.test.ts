import { mkdtemp, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineLane } from '../../harness/define.ts';
import { runLane } from '../../harness/run-lane.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { LaneResult } from '../../profiles/result-schema.ts';

async function tempRoot() {
  return mkdtemp(join(tmpdir(), 'ucp-runlane-'));
}

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
