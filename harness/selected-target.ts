import type { TargetDriver } from '../contracts/target.ts';
import type { TargetDescriptor } from '../profiles/descriptor-schema.ts';
import { selectTarget } from '../profiles/load-descriptor.ts';
import type { TargetIdentity } from '../profiles/result-schema.ts';
import { targetDriver } from '../targets/registry.ts';

export interface SelectedDriver {
  driver: TargetDriver;
  /** null for the reference lab chosen by default */
  descriptor: TargetDescriptor | null;
  identity: TargetIdentity;
}

/**
 * The driver of the selected target (ULTRACLOUD_TARGET_DESCRIPTOR, ULTRACLOUD_FLAKE or the lab) and the identity
 * result.json names it by, for the lanes that boot a target's own machines rather than a cluster.
 */
export async function selectedDriver(env: NodeJS.ProcessEnv = process.env): Promise<SelectedDriver> {
  const selection = selectTarget(env);
  const descriptor = selection.kind === 'descriptor' ? selection.descriptor : null;
  const driver = await targetDriver(descriptor ?? { kind: 'reference-lab' });
  const identity: TargetIdentity = {
    name: descriptor?.name ?? 'reference-lab',
    kind: driver.kind,
    flake: descriptor?.flake ?? null,
    gitRevision: null,
    bindings: descriptor?.bindings ?? null,
  };
  return { driver, descriptor, identity };
}
