import type { BaremetalTarget } from '../contracts/baremetal-target.ts';
import { BlockedError } from '../contracts/errors.ts';
import { selectTarget } from '../profiles/load-descriptor.ts';
import type { TargetIdentity } from '../profiles/result-schema.ts';
import { targetDriver } from '../targets/registry.ts';

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
  const selection = selectTarget(env);
  const descriptor = selection.kind === 'descriptor' ? selection.descriptor : null;
  const driver = await targetDriver(descriptor ?? { kind: 'reference-lab' });
  if (!driver.baremetal) throw new BlockedError([`a bare-metal target of ${driver.kind}`]);
  const identity: TargetIdentity = {
    name: descriptor?.name ?? 'reference-lab',
    kind: driver.kind,
    flake: descriptor?.flake ?? null,
    gitRevision: null,
    bindings: descriptor?.bindings ?? null,
  };
  const target = await driver.baremetal(descriptor);
  return { target: Object.assign(target, { identity }), identity };
}
