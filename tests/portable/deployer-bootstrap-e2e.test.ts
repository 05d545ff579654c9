import { beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { deployerBootstrapE2e } from '../../lanes/portable/deployer-bootstrap-e2e.ts';
import { runUnderFault } from './support/lane-under-fault.ts';

proofLane(deployerBootstrapE2e, { target: useCluster, timeoutMs: 10 * 60_000 });

describe('deployer-bootstrap-e2e catches its faults', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await useCluster();
  });
  const lane = 'deployer-bootstrap-e2e';

  it('deployer refuse-phone-home fails the lane at the phone-home step', async () => {
    const result = await runUnderFault(deployerBootstrapE2e, cluster, cluster, {
      service: 'deployer',
      fault: 'refuse-phone-home',
    });
    expect(result.failure?.stepPath).toEqual([lane, 'phone-home with the bootstrap token answers the install plan']);
    expect(result.failure?.property).toBe('phone-home with the bootstrap token is accepted');
  });

  it('deployer accept-any-token fails the lane at the token-refusal step', async () => {
    const result = await runUnderFault(deployerBootstrapE2e, cluster, cluster, {
      service: 'deployer',
      fault: 'accept-any-token',
    });
    expect(result.failure?.stepPath).toEqual([lane, 'phone-home without the bootstrap token is refused']);
    expect(result.failure?.property).toBe('phone-home with a wrong token is refused');
  });

  it('deployer forget-preregistered-on-restart fails the lane after the restart', async () => {
    const result = await runUnderFault(deployerBootstrapE2e, cluster, cluster, {
      service: 'deployer',
      fault: 'forget-preregistered-on-restart',
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([lane, 'the pre-registered node survives the deployer restart']);
    expect(result.failure?.property).toBe('the pre-registered node survives a deployer restart');
  });

  it('deployer restart-noop fails the lane at the restart step', async () => {
    const result = await runUnderFault(deployerBootstrapE2e, cluster, cluster, {
      service: 'deployer',
      fault: 'restart-noop',
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([lane, 'a deployer restart brings up a new process that answers']);
    expect(result.failure?.property).toMatch(/^deployer on node0\d runs in a new process after its restart$/);
  });

  it('deployer non-idempotent-preregister fails the lane at the replay step', async () => {
    const result = await runUnderFault(deployerBootstrapE2e, cluster, cluster, {
      service: 'deployer',
      fault: 'non-idempotent-preregister',
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([lane, 'replaying the same pre-register request is idempotent']);
    expect(result.failure?.property).toBe('the replay answers the existing node');
  });

  it('deployer revoked-token-accepted fails the lane at the revocation step', async () => {
    const result = await runUnderFault(deployerBootstrapE2e, cluster, cluster, {
      service: 'deployer',
      fault: 'revoked-token-accepted',
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([lane, 'a revoked bootstrap token is refused at phone-home']);
    expect(result.failure?.property).toBe('phone-home with the revoked bootstrap token is refused');
  });

  it('deployer apply-drops-desired-system fails the lane at the apply step: applied != evaluated', async () => {
    const result = await runUnderFault(deployerBootstrapE2e, cluster, cluster, {
      service: 'deployer',
      fault: 'apply-drops-desired-system',
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([
      lane,
      'the generated cluster state applied through the deployer reads back equal to the evaluated state',
    ]);
    expect(result.failure?.property).toBe(
      'every applied class, node and service has exactly the fields of the evaluated state',
    );
  });

  it('deployer apply-duplicates-nodes fails the lane at the apply step: a re-apply changes something', async () => {
    const result = await runUnderFault(deployerBootstrapE2e, cluster, cluster, {
      service: 'deployer',
      fault: 'apply-duplicates-nodes',
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([
      lane,
      'the generated cluster state applied through the deployer reads back equal to the evaluated state',
    ]);
    expect(result.failure?.property).toBe('a re-apply of the same generated state changes nothing');
  });
});
