import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SettledViolation, WaitSettledError, WaitTimeoutError } from '../../contracts/errors.ts';
import { defineLane } from '../../harness/define.ts';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { eventually } from '../../helpers/retry.ts';

const roots: string[] = [];
afterEach(async () => {
  for (const dir of roots.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('eventually', () => {
  it('ends at the first settled violation, without retrying and without waiting out its bound', async () => {
    let attempts = 0;
    const wait = eventually(
      async () => {
        attempts++;
        throw new SettledViolation('the transfer answered done and the term never changed');
      },
      { timeoutMs: 600_000, what: 'leadership moved' },
    );
    const err = await wait.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitSettledError);
    // a settled wait is reported as any wait that ended unreached is
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(attempts).toBe(1);
    expect((err as WaitSettledError).waitedMs).toBeLessThan(600_000);
    expect((err as Error).message).toMatch(
      /^"leadership moved" settled as not reached after \d+ ms \(1 attempts\): the transfer answered done and the term never changed$/,
    );
  });

  it('keeps retrying a probe that merely has not succeeded yet until its bound runs out', async () => {
    let attempts = 0;
    const err = await eventually(
      async () => {
        attempts++;
        throw new Error('leader is still node01');
      },
      { timeoutMs: 400, intervalMs: 10, maxIntervalMs: 20, what: 'leadership moved' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err).not.toBeInstanceOf(WaitSettledError);
    expect((err as WaitTimeoutError).waitedMs).toBeGreaterThanOrEqual(400);
    expect(attempts).toBeGreaterThan(1);
    expect((err as Error).message).toMatch(
      /^"leadership moved" not reached after \d+ ms \(\d+ attempts\); last: leader is still node01$/,
    );
  });

  it('a probe that first fails plainly and then sees a settled violation ends at that observation', async () => {
    let attempts = 0;
    const err = await eventually(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error('not yet');
        throw new SettledViolation('settled');
      },
      { timeoutMs: 600_000, intervalMs: 1 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitSettledError);
    expect(attempts).toBe(3);
  });

  it('a probe that succeeds after plain failures returns its value', async () => {
    let attempts = 0;
    const value = await eventually(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error('not yet');
        return 'node02';
      },
      { intervalMs: 1 },
    );
    expect(value).toBe('node02');
  });
});

describe("a lane's eventually with a settled violation", () => {
  it('fails the same step and names the same property as a bound run out, at once', async () => {
    const root = await workTempDir('retry-settled-');
    roots.push(root);
    let attempts = 0;
    const lane = defineLane<null>({
      name: 'settled-lane',
      group: 'lab',
      summary: 'a wait settled by an observation',
      async run(ctx) {
        await ctx.step('transfer leadership', async () => {
          await ctx.eventually(
            'leadership moved from node01 to node02',
            async () => {
              attempts++;
              throw new SettledViolation('node02 is at term 7, the term before the transfer, and follows node01');
            },
            { timeoutMs: 600_000 },
          );
        });
      },
    });
    const result = await runLane(lane, {
      target: null,
      targetName: 't',
      runId: 'settled',
      workRoot: root,
      log: () => {},
    });
    expect(attempts).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.failure).toMatchObject({
      kind: 'property',
      stepPath: ['settled-lane', 'transfer leadership'],
      property: 'leadership moved from node01 to node02',
    });
    expect(result.failure?.message).toMatch(/settled as not reached after \d+ ms \(1 attempts\): node02 is at term 7/);
  });
});
