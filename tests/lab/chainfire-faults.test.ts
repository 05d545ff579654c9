import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster } from '../../harness/cluster.ts';
import { eventually, sleep } from '../../helpers/retry.ts';

/**
 * Each chainfire fault switch changes what a client observes, and clearing it restores the property: a lane
 * that checks the property would catch the fault.
 */
describe('chainfire fault switches', () => {
  let cluster: Cluster;
  let chainfire: Cluster['ports']['chainfire'];
  beforeAll(async () => {
    cluster = await useCluster();
    chainfire = cluster.ports.chainfire;
  });
  const voters = ['node01', 'node02', 'node03'];

  afterEach(async () => {
    await cluster.faults.clear('chainfire');
  });

  const leaderName = async () =>
    eventually(
      async () => {
        const s = await chainfire.at('node01').status();
        if (!s.leader) throw new Error('no leader yet');
        return s.leader;
      },
      { timeoutMs: 20_000, what: 'a chainfire leader' },
    );

  it('stale-serializable-read: a serializable read answers the value before the latest write', async () => {
    const key = `fault-proof/stale/${randomBytes(4).toString('hex')}`;
    await chainfire.put(key, 'v1');
    await chainfire.put(key, 'v2');
    const node02 = chainfire.at('node02');
    await eventually(async () => expect((await node02.get(key, 'serializable')).value).toBe('v2'), {
      what: 'node02 serializable read of the latest value',
    });

    await cluster.faults.set('chainfire', 'stale-serializable-read', 'node02');
    expect((await node02.get(key, 'serializable')).value).toBe('v1');
    expect((await node02.get(key, 'linearizable')).value).toBe('v2');
    expect((await chainfire.at('node03').get(key, 'serializable')).value).toBe('v2');

    await cluster.faults.clear('chainfire', 'stale-serializable-read', 'node02');
    expect((await node02.get(key, 'serializable')).value).toBe('v2');
  });

  it('leader-transfer-noop: the transfer reports success but leadership stays put', async () => {
    const leader = await leaderName();
    const target = voters.find((v) => v !== leader) as string;

    await cluster.faults.set('chainfire', 'leader-transfer-noop');
    expect((await chainfire.transferLeader(target)).transferred).toBe(true);
    await sleep(3_000);
    expect(await leaderName()).toBe(leader);

    await cluster.faults.clear('chainfire', 'leader-transfer-noop');
    expect((await chainfire.transferLeader(target)).transferred).toBe(true);
    await eventually(async () => expect(await leaderName()).toBe(target), {
      timeoutMs: 20_000,
      what: `leadership on ${target}`,
    });
  });

  it("learner-never-catches-up: the learner's replica stays behind and cannot be promoted", async () => {
    const leader = await leaderName();
    const learner = voters.filter((v) => v !== leader).at(-1) as string;
    const via = chainfire.at(leader);
    await via.removeMember(learner);
    await eventually(async () => expect((await via.members()).map((m) => m.name)).not.toContain(learner), {
      what: `${learner} out of the member list`,
    });
    await eventually(async () => expect((await chainfire.at(learner).status()).member).toBe(false), {
      what: `${learner}'s chainfire standing by after removal`,
    });

    await cluster.faults.set('chainfire', 'learner-never-catches-up', learner);
    await via.addLearner(learner);
    const key = `fault-proof/learner/${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 20; i++) await via.put(key, `v${i}`);
    const leaderIndex = (await via.status()).raftIndex ?? 0;
    await sleep(3_000);
    const behind = await chainfire.at(learner).status();
    expect(behind.isLearner ?? true).toBe(true);
    expect(behind.raftIndex ?? 0).toBeLessThan(leaderIndex);
    await expect(via.promote(learner)).rejects.toThrow(/in sync|not.*ready|learner/i);

    await cluster.faults.clear('chainfire', 'learner-never-catches-up', learner);
    await eventually(
      async () => expect((await chainfire.at(learner).status()).raftIndex ?? 0).toBeGreaterThanOrEqual(leaderIndex),
      { timeoutMs: 30_000, what: `${learner} caught up to raft index ${leaderIndex}` },
    );
    await eventually(() => via.promote(learner), { timeoutMs: 30_000, what: `promotion of ${learner}` });
    expect(
      (await via.members())
        .filter((m) => !m.isLearner)
        .map((m) => m.name)
        .sort(),
    ).toEqual(voters);
    expect((await chainfire.at(learner).get(key, 'serializable')).value).toBe('v19');
  });
});
