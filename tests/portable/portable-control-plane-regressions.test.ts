import { describe, expect, it } from 'vitest';
import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { defaultNixGuardTarget } from '../../lanes/guards/nix-guard-target.ts';
import { defaultSurfaceTarget } from '../../lanes/guards/supported-surface-guard.ts';
import {
  portableControlPlaneRegressions,
  type RegressionTarget,
} from '../../lanes/portable/portable-control-plane-regressions.ts';
import { runUnderFault } from './support/lane-under-fault.ts';

const target = async (): Promise<RegressionTarget> => ({
  cluster: await useCluster(),
  nixGuard: defaultNixGuardTarget(),
  surface: defaultSurfaceTarget(),
});

proofLane(portableControlPlaneRegressions, { target, timeoutMs: 20 * 60_000 });

describe('portable-control-plane-regressions catches a fault in a composed lane', () => {
  it('deployer refuse-phone-home fails the aggregate inside deployer-bootstrap-e2e', async () => {
    const t = await target();
    const result = await runUnderFault(portableControlPlaneRegressions, t.cluster, t, {
      service: 'deployer',
      fault: 'refuse-phone-home',
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.stepPath).toEqual([
      'portable-control-plane-regressions',
      'deployer-bootstrap-e2e',
      'phone-home with the bootstrap token answers the install plan',
    ]);
    expect(result.failure?.property).toBe('phone-home with the bootstrap token is accepted');
    const passed = result.steps.filter((s) => s.path.length === 1 && s.status === 'passed').map((s) => s.path[0]);
    expect(passed).toEqual(['canonical-profile-eval-guards']);
  });
});
