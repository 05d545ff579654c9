import { beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { deployerVmRollback } from '../../lanes/portable/deployer-vm-rollback.ts';
import { nodesRunning } from '../../lanes/portable/portable-cluster.ts';
import { runUnderFault } from './support/lane-under-fault.ts';

proofLane(deployerVmRollback, { target: useCluster, timeoutMs: 10 * 60_000 });

describe('deployer-vm-rollback catches its faults', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await useCluster();
  });
  const node = () => nodesRunning(cluster, 'nix-agent').at(-1) as string;

  it('nix-agent ignore-health-check fails the lane at "observed status is rolled-back"', async () => {
    const result = await runUnderFault(deployerVmRollback, cluster, cluster, {
      service: 'nix-agent',
      fault: 'ignore-health-check',
      node: node(),
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual(['deployer-vm-rollback', 'observed status is rolled-back']);
    expect(result.failure?.property).toBe('nix-agent reports rolled-back');
  });

  it('nix-agent stay-on-rejected-generation fails the lane at the rejected-generation step', async () => {
    const result = await runUnderFault(deployerVmRollback, cluster, cluster, {
      service: 'nix-agent',
      fault: 'stay-on-rejected-generation',
      node: node(),
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([
      'deployer-vm-rollback',
      'the node does not stay on the rejected target generation',
    ]);
    expect(result.failure?.property).toBe('the node does not stay on the rejected generation');
  });
});
