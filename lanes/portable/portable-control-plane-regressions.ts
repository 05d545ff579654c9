import type { Cluster } from '../../contracts/target.ts';
import { defineLane, type LaneDefinition } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { canonicalProfileEvalGuards } from '../guards/canonical-profile-eval-guards.ts';
import type { NixGuardTarget } from '../guards/nix-guard-target.ts';
import { type SurfaceTarget, supportedSurfaceGuard } from '../guards/supported-surface-guard.ts';
import { deployerBootstrapE2e } from './deployer-bootstrap-e2e.ts';
import { deployerVmSmoke } from './deployer-vm-smoke.ts';
import { fleetSchedulerE2e } from './fleet-scheduler-e2e.ts';
import { hostLifecycleE2e } from './host-lifecycle-e2e.ts';

export interface RegressionTarget {
  readonly cluster: Cluster;
  readonly nixGuard: NixGuardTarget;
  readonly surface: SurfaceTarget;
}

type Lane<C> = LaneDefinition<C> & { run(ctx: LaneContextWithWaits<C>): Promise<void> };

/** the lanes this one keeps green together, behind the eval guard */
export const composedClusterLanes: Lane<Cluster>[] = [
  deployerBootstrapE2e,
  hostLifecycleE2e,
  deployerVmSmoke,
  fleetSchedulerE2e,
];

/**
 * portable-control-plane-regressions: the TCG-safe aggregate that keeps the canonical profile eval guard,
 * deployer-bootstrap-e2e, host-lifecycle-e2e, deployer-vm-smoke and fleet-scheduler-e2e green together, and links
 * in supported-surface-guard. It boots no nested-KVM VM: a developer regression path, not the publishable proof.
 */
export const portableControlPlaneRegressions = defineLane<RegressionTarget>({
  name: 'portable-control-plane-regressions',
  group: 'portable',
  tags: ['needs-root', 'disruptive'],
  summary:
    'eval guard, deployer-bootstrap-e2e, host-lifecycle-e2e, deployer-vm-smoke, fleet-scheduler-e2e and supported-surface-guard together without KVM',
  requires: [
    'deployer.appliedCluster',
    'deployer.applyCluster',
    'deployer.classes',
    'deployer.desiredSystem',
    'deployer.downloadBundle',
    'deployer.inspect',
    'deployer.issueBootstrapToken',
    'deployer.nodes',
    'deployer.phoneHome',
    'deployer.preregister',
    'deployer.publishDesiredSystem',
    'deployer.revokeBootstrapToken',
    'fleet-scheduler.activate',
    'fleet-scheduler.deleteService',
    'fleet-scheduler.drain',
    'fleet-scheduler.events',
    'fleet-scheduler.nodes',
    'fleet-scheduler.placements',
    'fleet-scheduler.putService',
    'nix-agent.status',
    'node-agent.instances',
    'node-agent.status',
  ],
  scopeContract: {
    composes: ['canonical-profile-eval-guards', ...composedClusterLanes.map((l) => l.name), 'supported-surface-guard'],
    kvm: 'not required: the six-node nested-KVM VM suite is not booted',
  },
  async run(ctx: LaneContextWithWaits<RegressionTarget>) {
    ctx.recordEnvironment({ vm_accelerator_mode: 'none', kvm_required: 'false' });
    await compose(ctx, canonicalProfileEvalGuards, ctx.target.nixGuard);
    for (const lane of composedClusterLanes) await compose(ctx, lane, ctx.target.cluster);
    await compose(ctx, supportedSurfaceGuard, ctx.target.surface);
  },
});

/** run another lane as one step of this one; its artifacts (and scope contract) go under <lane>/ in this proof root */
function compose<C>(ctx: LaneContextWithWaits<RegressionTarget>, lane: Lane<C>, target: C): Promise<void> {
  const artifact = (name: string, content: string | Uint8Array | object) =>
    ctx.artifact(`${lane.name}/${name}`, content);
  return ctx.step(lane.name, async () => {
    if (lane.scopeContract) await artifact('scope-fixed-contract.json', lane.scopeContract);
    await lane.run({ ...ctx, target, artifact } as LaneContextWithWaits<C>);
  });
}
