import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedLab, startLab } from '../../fixtures/cluster.ts';
import type { ChainfirePort } from '../../helpers/ports/chainfire.ts';
import { eventually } from '../../helpers/retry.ts';

/**
 * ChainFire live membership on a lab of its own (three voters, and node04 whose chainfire idles until added):
 * learner add, catch-up, promotion, leader transfer, voter restart, leader removal, re-add, scale-in.
 */
describe('chainfire live membership', () => {
  let lab: StartedLab;
  let cf: ChainfirePort;
  const key = `membership/${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    lab = await startLab({
      nodes: [
        { name: 'node01', role: 'control-plane', services: ['chainfire'] },
        { name: 'node02', role: 'control-plane', services: ['chainfire'] },
        { name: 'node03', role: 'control-plane', services: ['chainfire'] },
        { name: 'node04', role: 'worker', services: ['chainfire'] },
      ],
      services: ['chainfire'],
      faults: [],
    });
    cf = lab.cluster.ports.chainfire;
  }, 180_000);
  afterAll(async () => {
    await lab?.dispose();
  }, 120_000);

  const voters = async () =>
    (await cf.members())
      .filter((m) => !m.isLearner)
      .map((m) => m.name)
      .sort();
  const leader = async () => {
    const s = await cf.at('node01').status();
    if (!s.leader) throw new Error('no leader');
    return s.leader;
  };
  const caughtUp = (node: string) =>
    eventually(
      async () => {
        const index = (await cf.at('node01').status()).raftIndex ?? 0;
        expect((await cf.at(node).status()).raftIndex ?? 0).toBeGreaterThanOrEqual(index - 1);
        expect((await cf.at(node).get(key, 'serializable')).value).toBe('before-join');
      },
      { timeoutMs: 30_000, what: `${node}'s local replica caught up` },
    );

  it('starts with three voters and node04 standing by', async () => {
    expect(await voters()).toEqual(['node01', 'node02', 'node03']);
    expect((await cf.at('node04').status()).member).toBe(false);
    await cf.put(key, 'before-join');
  });

  it('adds node04 as a learner that catches up locally', async () => {
    await cf.addLearner('node04');
    const learner = (await cf.members()).find((m) => m.name === 'node04' || m.peerUrls.some((u) => u.includes('.14:')));
    expect(learner?.isLearner).toBe(true);
    await caughtUp('node04');
  });

  it('promotes node04 to a voter and moves leadership to it', async () => {
    await eventually(() => cf.promote('node04'), { timeoutMs: 30_000, what: 'promotion of node04' });
    expect(await voters()).toEqual(['node01', 'node02', 'node03', 'node04']);
    await cf.transferLeader('node04');
    await eventually(async () => expect(await leader()).toBe('node04'), { timeoutMs: 20_000, what: 'node04 leading' });
  });

  it('restarts the temporary voter, which rejoins with its data', async () => {
    const control = (await import('../../fixtures/cluster.ts')).labControl(lab.info);
    await control.restartService('node04', 'chainfire');
    await eventually(
      async () => {
        const s = await cf.at('node04').status();
        expect(s.member).toBe(true);
        expect(s.leader).toBeTruthy();
      },
      { timeoutMs: 30_000, what: 'node04 back in the cluster after its restart' },
    );
    expect((await cf.at('node04').get(key, 'linearizable')).value).toBe('before-join');
  });

  it('removes the current leader; the rest elect a new one and keep serving', async () => {
    const current = await eventually(leader, { what: 'a leader' });
    const survivor = ['node01', 'node02', 'node03', 'node04'].find((n) => n !== current) as string;
    await cf.at(survivor).removeMember(current);
    await eventually(async () => expect((await cf.at(survivor).members()).map((m) => m.name)).not.toContain(current), {
      what: `${current} removed`,
    });
    await eventually(async () => expect((await cf.at(survivor).status()).leader).not.toBe(current), {
      timeoutMs: 20_000,
      what: 'a new leader',
    });
    await eventually(() => cf.at(survivor).put(key, 'after-removal'), { what: 'a write after the leader removal' });
    expect((await cf.at(survivor).get(key)).value).toBe('after-removal');
    await eventually(async () => expect((await cf.at(current).status()).member).toBe(false), {
      timeoutMs: 20_000,
      what: `${current} standing by`,
    });

    await cf.at(survivor).addLearner(current);
    await eventually(async () => expect((await cf.at(current).get(key, 'serializable')).value).toBe('after-removal'), {
      timeoutMs: 30_000,
      what: `re-added ${current} caught up`,
    });
    await eventually(() => cf.at(survivor).promote(current), { timeoutMs: 30_000, what: `promotion of ${current}` });
    expect((await cf.at(survivor).members()).filter((m) => !m.isLearner)).toHaveLength(4);
  });

  it('scales back in to three voters', async () => {
    const l = await eventually(leader, { what: 'a leader' });
    if (l === 'node04') {
      await cf.transferLeader('node01');
      await eventually(async () => expect(await leader()).toBe('node01'), {
        timeoutMs: 20_000,
        what: 'node01 leading',
      });
    }
    await cf.removeMember('node04');
    await eventually(async () => expect(await voters()).toEqual(['node01', 'node02', 'node03']), {
      what: 'three voters',
    });
  });
});
