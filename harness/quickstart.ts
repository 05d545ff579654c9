import { BlockedError } from '../contracts/errors.ts';
import type { QuickstartTarget } from '../contracts/quickstart-target.ts';
import { selectTarget } from '../profiles/load-descriptor.ts';
import type { TargetIdentity } from '../profiles/result-schema.ts';
import { targetDriver } from '../targets/registry.ts';

/**
 * What the quickstart lanes boot on the selected target (ULTRACLOUD_TARGET_DESCRIPTOR, ULTRACLOUD_FLAKE or the
 * lab): the target's own single-node VM runner, never another target's. A target without one is blocked, naming it.
 */
export async function selectedQuickstartTarget(env: NodeJS.ProcessEnv = process.env): Promise<QuickstartTarget> {
  const selection = selectTarget(env);
  const descriptor = selection.kind === 'descriptor' ? selection.descriptor : null;
  const driver = await targetDriver(descriptor ?? { kind: 'reference-lab' });
  if (!driver.quickstart) throw new BlockedError([`a single-node quickstart VM runner of ${driver.kind}`]);
  const identity: TargetIdentity = {
    name: descriptor?.name ?? 'reference-lab',
    kind: driver.kind,
    flake: descriptor?.flake ?? null,
    gitRevision: null,
    bindings: descriptor?.bindings ?? null,
  };
  const target = await driver.quickstart(descriptor);
  return Object.assign(target, { identity });
}
