import type { DeployerPort } from '../../contracts/ports/deployer.ts';
import type { Cluster } from '../../contracts/target.ts';
import { applyAndCheck, classOfNode, evaluatedClusterState } from '../../harness/cluster-authoring.ts';
import type { LaneContext } from '../../harness/define.ts';

/** the requires of a lane that applies the cluster authoring source through the deployer */
export const clusterAuthoringOperations = ['deployer.applyCluster', 'deployer.appliedCluster', 'deployer.inspect'];

/**
 * The step that makes the deployer know `node`, so desired systems can be published for it: the flake's
 * `ultracloud.cluster` is evaluated and applied through the deployer (`deployer-ctl apply`), a re-apply changes
 * nothing, the applied state reads back equal to the evaluated one, and `node` is registered with its evaluated class
 * and that class's install plan. Blocked when the target's flake has no `ultracloud.cluster`.
 */
export async function applyClusterFor(ctx: LaneContext<Cluster>, deployer: DeployerPort, node: string): Promise<void> {
  await ctx.step(
    'the generated cluster state applied through the deployer reads back equal to the evaluated state',
    async () => {
      const evaluated = await evaluatedClusterState(ctx);
      await ctx.artifact('cluster-state-evaluated.json', evaluated);
      await applyAndCheck(ctx, deployer, evaluated);
      const cls = classOfNode(evaluated, node);
      const registered = await deployer.inspect(node);
      ctx.check(
        `${node} is registered with its evaluated class ${cls.name}`,
        registered?.node_class === cls.name,
        JSON.stringify(registered),
      );
    },
  );
}
