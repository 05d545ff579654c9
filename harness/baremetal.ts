import type { BaremetalTarget } from '../contracts/baremetal-target.ts';
import { BlockedError } from '../contracts/errors.ts';
import type { TargetIdentity } from '../profiles/result-schema.ts';
import { loadBaremetalBindings } from './ports.ts';
import { selectedDriver } from './selected-target.ts';

export interface SelectedBaremetalTarget {
  target: BaremetalTarget;
  identity: TargetIdentity;
}

/**
 * What the bare-metal lanes boot on the selected target (ULTRACLOUD_TARGET_DESCRIPTOR, ULTRACLOUD_FLAKE or the
 * lab): the target's own driver gives it (a monorepo's `nixosConfigurations.ultracloud-iso`, the lab's installer),
 * never another target's. A target without one is blocked, naming it.
 */
export async function selectedBaremetalTarget(env: NodeJS.ProcessEnv = process.env): Promise<SelectedBaremetalTarget> {
  const { driver, descriptor, identity } = await selectedDriver(env);
  if (!driver.baremetal) throw new BlockedError([`a bare-metal target of ${driver.kind}`]);
  // a bindings module may bind the target's own bare-metal deployer (its `baremetalDeployer` export)
  const bindings = descriptor?.bindings ? await loadBaremetalBindings(descriptor.bindings) : {};
  const target = await driver.baremetal(descriptor, bindings);
  return { target: Object.assign(target, { identity }), identity };
}
