import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BindingRequiredError } from '../../contracts/errors.ts';
import { defineLane, type Fault, type LaneContext, noFault } from '../../harness/define.ts';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { eventually } from '../../helpers/retry.ts';

let root: string;
beforeAll(async () => {
  root = await workTempDir('lane-vocabulary-');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const run = (name: string, body: (ctx: LaneContext<null>) => Promise<void>) =>
  runLane(defineLane<null>({ name, group: 'lab', summary: name, run: body }), {
    target: null,
    targetName: 't',
    runId: 'r',
    workRoot: root,
    log: () => {},
  });

describe('the lanes vocabulary', () => {
  it('until waits on a predicate and, past its bound, names the property and the last value seen', async () => {
    let n = 0;
    const ok = await run('until-ok', async (ctx) => {
      await ctx.step('count', () =>
        ctx.until(
          'the counter reaches 3',
          async () => ++n,
          (v) => v >= 3,
        ),
      );
    });
    expect(ok.status).toBe('passed');
    const bad = await run('until-bad', async (ctx) => {
      await ctx.step('count', () =>
        ctx.until(
          'the counter is negative',
          async () => ({ count: 7 }),
          (v) => v.count < 0,
          { timeoutMs: 200 },
        ),
      );
    });
    expect(bad.status).toBe('failed');
    expect(bad.failure).toMatchObject({
      kind: 'property',
      property: 'the counter is negative',
      stepPath: ['until-bad', 'count'],
    });
    expect(bad.failure?.message).toContain('last seen: {"count":7}');
  });

  it('defer runs undos newest first as steps, after a failure too, and keeps the failure where it happened', async () => {
    const order: string[] = [];
    const result = await run('defer-fail', async (ctx) => {
      await ctx.step('make a', async () => ctx.defer('remove a', async () => void order.push('a')));
      await ctx.step('make b', async () => ctx.defer('remove b', async () => void order.push('b')));
      await ctx.step('break', async () => ctx.check('it holds', false));
    });
    expect(order).toEqual(['b', 'a']);
    expect(result.failure?.stepPath).toEqual(['defer-fail', 'break']);
    expect(result.steps.map((s) => `${s.path.join('/')}=${s.status}`)).toEqual([
      'make a=passed',
      'make b=passed',
      'break=failed',
      'undo: remove b=passed',
      'undo: remove a=passed',
    ]);
  });

  it('a failed undo fails a lane that passed, naming the undo step', async () => {
    const result = await run('defer-undo-fails', async (ctx) => {
      ctx.defer('power node05 on', async () => ctx.check('node05 powers on', false));
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual(['defer-undo-fails', 'undo: power node05 on']);
  });

  it('withFault injects, runs the body, heals once, and waits for recovery; noFault runs the body alone', async () => {
    const events: string[] = [];
    let broken = false;
    const fault: Fault = {
      name: 'chainfire stale-read',
      inject: async () => {
        broken = true;
        events.push('inject');
      },
      heal: async () => {
        broken = false;
        events.push('heal');
      },
      recovered: async () => !broken,
    };
    const result = await run('with-fault', async (ctx) => {
      await ctx.withFault(fault, async () => void events.push(`body sees broken=${broken}`));
      await ctx.withFault(noFault, async () => void events.push('plain body'));
    });
    expect(result.status).toBe('passed');
    expect(events).toEqual(['inject', 'body sees broken=true', 'heal', 'plain body']);
    expect(result.steps.map((s) => s.path.join('/'))).toEqual([
      'inject chainfire stale-read',
      'heal chainfire stale-read',
      'recovered from chainfire stale-read',
      'undo: heal chainfire stale-read',
    ]);
  });

  it('withFault heals when the body fails', async () => {
    let healed = 0;
    const fault: Fault = { name: 'x', inject: async () => {}, heal: async () => void healed++ };
    const result = await run('with-fault-fails', async (ctx) => {
      await ctx.withFault(fault, async () => ctx.step('body', async () => ctx.check('holds under x', false)));
    });
    expect(result.failure?.stepPath).toEqual(['with-fault-fails', 'body']);
    expect(healed).toBe(1);
  });

  it('an unbound operation is blocked at once, never retried, and names service.operation', async () => {
    let attempts = 0;
    const err = await eventually(
      async () => {
        attempts++;
        throw new BindingRequiredError('deployer.nodes', 'monorepo');
      },
      { timeoutMs: 5_000 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BindingRequiredError);
    expect(attempts).toBe(1);
    const result = await run('unbound', async (ctx) => {
      await ctx.step('list nodes', () =>
        ctx.eventually('the deployer lists the nodes', async () => {
          throw new BindingRequiredError('deployer.nodes', 'monorepo');
        }),
      );
    });
    expect(result.status).toBe('blocked');
    expect(result.missingRequirements).toEqual(['deployer.nodes']);
    expect(result.steps[0]?.status).toBe('blocked');
  });
});
