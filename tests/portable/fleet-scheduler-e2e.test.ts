import { beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { fleetSchedulerE2e } from '../../lanes/portable/fleet-scheduler-e2e.ts';
import { nodesRunning } from '../../lanes/portable/portable-cluster.ts';
import { runUnderFault } from './support/lane-under-fault.ts';

proofLane(fleetSchedulerE2e, { target: useCluster, timeoutMs: 10 * 60_000 });

describe('fleet-scheduler-e2e catches its faults', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await useCluster();
  });
  const victim = () => nodesRunning(cluster, 'node-agent')[1] as string;

  it('fleet-scheduler ignore-node-loss fails the lane where the worker should be marked lost', async () => {
    const result = await runUnderFault(fleetSchedulerE2e, cluster, cluster, {
      service: 'fleet-scheduler',
      fault: 'ignore-node-loss',
    });
    expect(result.failure?.stepPath).toEqual([
      'fleet-scheduler-e2e',
      `${victim()} is marked lost and its replica is rescheduled to ${nodesRunning(cluster, 'node-agent')[0]}`,
    ]);
    expect(result.failure?.property).toBe('a worker whose heartbeats stop is marked lost');
  });

  it('node-agent heartbeat-stall fails the lane at the heartbeat step', async () => {
    const result = await runUnderFault(fleetSchedulerE2e, cluster, cluster, {
      service: 'node-agent',
      fault: 'heartbeat-stall',
      node: victim(),
    });
    expect(result.failure?.stepPath).toEqual([
      'fleet-scheduler-e2e',
      'both workers heartbeat through their node-agent',
    ]);
    expect(result.failure?.property).toBe(`${victim()} heartbeats and is active`);
  });

  it('fleet-scheduler draining-gets-new-placements fails the lane at the drain step', async () => {
    const result = await runUnderFault(fleetSchedulerE2e, cluster, cluster, {
      service: 'fleet-scheduler',
      fault: 'draining-gets-new-placements',
    });
    expect(result.failure?.stepPath).toEqual(['fleet-scheduler-e2e', `a draining ${victim()} gets no new placement`]);
    expect(result.failure?.property).toBe(`no replica placed while ${victim()} drains lands on ${victim()}`);
  });
});
