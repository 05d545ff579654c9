import { afterAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster } from '../../harness/cluster.ts';
import { defineLane } from '../../harness/define.ts';
import { runLane } from '../../harness/run-lane.ts';
import { clusterStartShape, type RestorePolicy, shapeChecks } from '../../harness/start-shape.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { freshSmoke } from '../../lanes/publishable/fresh-smoke.ts';

/**
 * Lane isolation on the suite's one booted cluster: a lane that leaves the cluster changed (a drained worker, a
 * fourth ChainFire voter) is followed by fresh-smoke, which starts from the canonical shape because the cluster is
 * restored to its booted state before it; without the restore, fresh-smoke says at its start that the cluster is
 * out of shape, naming what, and runs none of its own steps.
 */
const leavesItChanged = defineLane<Cluster>({
  name: 'leaves-the-cluster-changed',
  group: 'lab',
  summary: 'drains node05 and makes node04 a fourth ChainFire voter, and leaves both as they are',
  async run(ctx) {
    const cluster = ctx.target;
    await ctx.step('drain node05', async () => {
      await cluster.ports.fleetScheduler.drain('node05');
    });
    await ctx.step('add node04 to chainfire and promote it to voter', async () => {
      const cf = cluster.ports.chainfire.at('node01');
      await cf.addLearner('node04');
      await ctx.eventually('node04 is promoted once it caught up', () => cf.promote('node04'), { timeoutMs: 60_000 });
    });
  },
});

let cluster: Cluster;
const root = await workTempDir('ucp-lane-isolation-');

async function run(policy: RestorePolicy, lane = freshSmoke, runId = `isolation-${policy}`) {
  return runLane(lane, {
    target: cluster,
    targetName: cluster.target.name,
    runId,
    workRoot: root,
    log: () => {},
    startShape: clusterStartShape(cluster, () => {}, policy),
  });
}

async function leaveItChanged(runId: string): Promise<void> {
  const dirty = await run('never', leavesItChanged, runId);
  expect(dirty.status, JSON.stringify(dirty.failure)).toBe('passed');
  // the lane really changed what fresh-smoke would see: otherwise nothing below proves anything
  const off = (await shapeChecks(cluster)).filter((c) => c.ok === false);
  expect(off.map((c) => c.detail).join('; ')).toMatch(/node05 is draining/);
  expect(off.map((c) => c.detail).join('; ')).toMatch(/voters beyond the control plane: node04/);
}

describe('lane isolation on the shared cluster', () => {
  afterAll(async () => {
    // whatever happened, the next file gets the cluster as booted
    await cluster?.restore?.restore();
  });

  it('fresh-smoke after a lane that drained node05 and added a voter starts from the canonical shape, restored', async () => {
    cluster = await useCluster();
    expect(cluster.restore, 'the reference lab can be restored').not.toBeNull();
    await leaveItChanged('dirty-then-restore');
    const result = await run('lane');
    expect(result.status, JSON.stringify(result.failure)).toBe('passed');
    const shape = result.startShape;
    expect(shape?.restores).toHaveLength(1);
    expect(shape?.canonical).toBe(true);
    expect(shape?.checks.filter((c) => c.ok !== true)).toEqual([]);
    // and from the target's own side, after the lane: three voters, no learner, every node active
    const members = await cluster.ports.chainfire.at('node01').members();
    expect(
      members
        .filter((m) => !m.isLearner)
        .map((m) => m.name)
        .sort(),
    ).toEqual(['node01', 'node02', 'node03']);
    expect(members.some((m) => m.isLearner)).toBe(false);
    expect((await cluster.ports.fleetScheduler.nodes()).every((n) => n.state === 'active')).toBe(true);
  });

  it('without a restore (ULTRACLOUD_RESTORE=never), fresh-smoke fails at its start shape naming what is off', async () => {
    cluster = await useCluster();
    await leaveItChanged('dirty-no-restore');
    const result = await run('never');
    expect(result.status).toBe('failed');
    expect(result.failureClass).toBe('harness');
    expect(result.failure?.stepPath).toEqual(['fresh-smoke', 'start shape']);
    expect(result.failure?.message).toMatch(/not in its canonical shape/);
    expect(result.failure?.message).toMatch(/node05 is draining/);
    expect(result.failure?.message).toMatch(/voters beyond the control plane: node04/);
    // none of fresh-smoke's own steps ran on the dirty cluster
    expect(result.steps.map((s) => s.path.join(' › '))).toEqual(['start shape']);
    expect(result.startShape?.restores).toEqual([]);
  });
});
