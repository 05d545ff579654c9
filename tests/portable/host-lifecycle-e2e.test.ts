import { beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { hostLifecycleE2e } from '../../lanes/portable/host-lifecycle-e2e.ts';
import { nodesRunning } from '../../lanes/portable/portable-cluster.ts';
import { runUnderFault } from './support/lane-under-fault.ts';

proofLane(hostLifecycleE2e, { target: useCluster, timeoutMs: 10 * 60_000 });

describe('host-lifecycle-e2e catches its faults', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await useCluster();
  });
  const first = () => nodesRunning(cluster, 'node-agent')[0] as string;

  it('fleet-scheduler drain-keeps-replicas fails the lane at the drain step', async () => {
    const result = await runUnderFault(hostLifecycleE2e, cluster, cluster, {
      service: 'fleet-scheduler',
      fault: 'drain-keeps-replicas',
    });
    expect(result.failure?.stepPath).toEqual([
      'host-lifecycle-e2e',
      `drain ${first()} for maintenance: its replica moves off`,
    ]);
    expect(result.failure?.property).toBe('draining moves the replica off the node');
  });

  it('fleet-scheduler drain-never-restores fails the lane at the return step', async () => {
    const result = await runUnderFault(hostLifecycleE2e, cluster, cluster, {
      service: 'fleet-scheduler',
      fault: 'drain-never-restores',
    });
    expect(result.failure?.stepPath).toEqual([
      'host-lifecycle-e2e',
      `end maintenance: ${first()} returns to active and gets its replica back`,
    ]);
    expect(result.failure?.property).toBe('replicas are restored after the node returns');
  });
});
