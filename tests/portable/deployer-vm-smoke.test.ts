import { describe, expect, it } from 'vitest';
import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { deployerVmSmoke } from '../../lanes/portable/deployer-vm-smoke.ts';
import { nodesRunning } from '../../lanes/portable/portable-cluster.ts';
import { runUnderFault } from './support/lane-under-fault.ts';

proofLane(deployerVmSmoke, { target: useCluster, timeoutMs: 10 * 60_000 });

describe('deployer-vm-smoke catches its fault', () => {
  it('nix-agent compile-on-guest fails the lane at the activation step', async () => {
    const cluster = await useCluster();
    const node = nodesRunning(cluster, 'nix-agent').at(-1) as string;
    const result = await runUnderFault(deployerVmSmoke, cluster, cluster, {
      service: 'nix-agent',
      fault: 'compile-on-guest',
      node,
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([
      'deployer-vm-smoke',
      'nix-agent activates it without guest-side compilation',
    ]);
    expect(result.failure?.property).toBe('activated without guest-side compilation');
  });
});
