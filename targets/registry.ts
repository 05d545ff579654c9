import { pathToFileURL } from 'node:url';
import type { TargetDriver } from '../contracts/target.ts';
import type { BuiltInTargetKind, TargetDescriptor } from '../profiles/descriptor-schema.ts';
import { InvalidInputError } from '../profiles/descriptor-schema.ts';

/**
 * The one place that knows which folder serves which kind of target. Everything else speaks to a target through
 * the driver this returns: the harness never imports a target's folder, and the lab is one entry among others.
 */
const builtIn: Record<BuiltInTargetKind, () => Promise<{ driver: TargetDriver }>> = {
  'reference-lab': () => import('../lab/target/driver.ts'),
  'ultracloud-monorepo': () => import('./monorepo/driver.ts'),
};

export async function targetDriver(target: Pick<TargetDescriptor, 'kind' | 'driver'>): Promise<TargetDriver> {
  if (target.driver) return await loadDriverModule(target.driver);
  const load = Object.hasOwn(builtIn, target.kind) ? builtIn[target.kind as BuiltInTargetKind] : undefined;
  if (!load) {
    throw new InvalidInputError(
      `target kind "${target.kind}" has no driver: one of ${Object.keys(builtIn).join(', ')}, or name a driver module`,
      ['kind'],
    );
  }
  return (await load()).driver;
}

/** A driver a descriptor names (`driver`): a module whose `driver` export has this suite's TargetDriver shape. */
async function loadDriverModule(path: string): Promise<TargetDriver> {
  let mod: { driver?: Partial<TargetDriver> };
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (err) {
    throw new InvalidInputError(`driver module ${path} cannot be loaded: ${(err as Error).message}`, ['driver']);
  }
  const d = mod.driver;
  const missing = ['kind', 'boot', 'connect'].filter((k) => d?.[k as keyof TargetDriver] === undefined);
  if (!d || missing.length) {
    throw new InvalidInputError(
      `driver module ${path} exports no complete \`driver\` (missing ${missing.join(', ') || 'driver'})`,
      ['driver'],
    );
  }
  return d as TargetDriver;
}
