import { BlockedError } from '../contracts/errors.ts';
import type { QuickstartTarget } from '../contracts/quickstart-target.ts';
import { selectedDriver } from './selected-target.ts';

/**
 * What the quickstart lanes boot on the selected target (ULTRACLOUD_TARGET_DESCRIPTOR, ULTRACLOUD_FLAKE or the
 * lab): the target's own single-node VM runner, never another target's. A target without one is blocked, naming it.
 */
export async function selectedQuickstartTarget(env: NodeJS.ProcessEnv = process.env): Promise<QuickstartTarget> {
  const { driver, descriptor, identity } = await selectedDriver(env);
  if (!driver.quickstart) throw new BlockedError([`a single-node quickstart VM runner of ${driver.kind}`]);
  const target = await driver.quickstart(descriptor);
  return Object.assign(target, { identity });
}
