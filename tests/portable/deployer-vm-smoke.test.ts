import { describe, expect, it } from 'vitest';
import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { deployerVmSmoke } from '../../lanes/portable/deployer-vm-smoke.ts';
import { nodesRunning } from '../../lanes/portable/portable-cluster.ts';
import { type FaultSwitch, runUnderFault } from './support/lane-under-fault.ts';

proofLane(deployerVmSmoke, { target: useCluster, timeoutMs: 10 * 60_000 });

describe('deployer-vm-smoke catches its faults', () => {
  const underFault = async (fault: Omit<FaultSwitch, 'node'>, onAgentNode: boolean) => {
    const cluster = await useCluster();
    const node = nodesRunning(cluster, 'nix-agent').at(-1) as string;
    return runUnderFault(deployerVmSmoke, cluster, cluster, { ...fault, ...(onAgentNode ? { node } : {}) });
  };
  const activation = ['deployer-vm-smoke', 'nix-agent activates it without guest-side compilation'];

  it('nix-agent compile-on-guest fails the lane at the activation step', async () => {
    const result = await underFault({ service: 'nix-agent', fault: 'compile-on-guest' }, true);
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual(activation);
    expect(result.failure?.property).toBe('activated without guest-side compilation');
  });

  it("nix-agent build-on-node (a build in the node's store, reported as shipped) fails the lane at the node-store step", async () => {
    const cluster = await useCluster();
    const node = nodesRunning(cluster, 'nix-agent').at(-1) as string;
    const result = await underFault({ service: 'nix-agent', fault: 'build-on-node' }, true);
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([
      'deployer-vm-smoke',
      `${node}'s own store holds the closure as substituted from the signed cache, built nowhere there`,
    ]);
    expect(result.failure?.property).toBe(
      "every path of the closure carries the binary cache's signature in the node's store",
    );
  });

  it('a cache serving unsigned narinfo (deployer unsigned-narinfo) is refused: the lane fails at activation', async () => {
    const result = await underFault({ service: 'deployer', fault: 'unsigned-narinfo' }, false);
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual(activation);
    expect(result.failure?.property).toBe('nix-agent reports the desired system active');
    expect(result.failure?.message).toContain("is not signed by any of the keys in 'trusted-public-keys'");
  });

  it('a cache whose narinfo is signed by a key the node does not trust is refused: the lane fails at activation', async () => {
    const result = await underFault({ service: 'deployer', fault: 'foreign-signed-narinfo' }, false);
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual(activation);
    expect(result.failure?.property).toBe('nix-agent reports the desired system active');
    expect(result.failure?.message).toContain("is not signed by any of the keys in 'trusted-public-keys'");
  });

  it('deployer omit-binary-cache-url fails the lane at the publication step', async () => {
    const cluster = await useCluster();
    const node = nodesRunning(cluster, 'nix-agent').at(-1) as string;
    const result = await underFault({ service: 'deployer', fault: 'omit-binary-cache-url' }, false);
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([
      'deployer-vm-smoke',
      `publish it as ${node}'s desired system through the deployer`,
    ]);
    expect(result.failure?.property).toBe(
      'the desired system names the binary cache to substitute it from (binary_cache_url)',
    );
  });
});
