import type { TestProject } from 'vitest/node';
import { BlockedError } from '../contracts/errors.ts';
import type { BootedTarget, ClusterInfo } from '../contracts/target.ts';
import { unsupportedNode } from '../helpers/node-version.ts';
import { workRoot } from '../helpers/proof-root.ts';
import type { TargetDescriptor } from '../profiles/descriptor-schema.ts';
import { checkEnvironment, checkWorkRoot } from '../profiles/env-schema.ts';
import { selectTarget } from '../profiles/load-descriptor.ts';
import { targetDriver } from '../targets/registry.ts';

/**
 * Vitest global setup for the cluster projects: boots the selected target once per run (shared by every project
 * that lists this setup) through its driver, and provides `ultracloudCluster` to the workers. The target is
 * ULTRACLOUD_TARGET_DESCRIPTOR's, else ULTRACLOUD_FLAKE's monorepo, else the reference lab (whose driver honours
 * ULTRACLOUD_KEEP_CLUSTER and ULTRACLOUD_LAB_FAULTS). A target this host cannot boot provides `blocked`.
 */
interface SharedTarget {
  boot: Promise<BootedTarget> | undefined;
  users: number;
}
// Vitest loads a global setup file once per project: the target is shared through the process, not the module.
const sharedKey = Symbol.for('ultracloud.cluster-setup');
const registry = globalThis as { [key: symbol]: SharedTarget | undefined };
const shared: SharedTarget = registry[sharedKey] ?? { boot: undefined, users: 0 };
registry[sharedKey] = shared;

async function bootSelected(): Promise<BootedTarget> {
  const selection = selectTarget();
  const descriptor = selection.kind === 'descriptor' ? selection.descriptor : null;
  const driver = await targetDriver(descriptor ?? { kind: 'reference-lab' });
  const started = performance.now();
  const progress = (line: string) => process.stderr.write(`[cluster] ${line}\n`);
  try {
    const booted = await driver.boot(descriptor, { workRoot: workRoot(), progress });
    progress(`${booted.info.target.name} ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return booted;
  } catch (err) {
    // a target this host cannot boot: lanes record blocked with what is missing instead of the run crashing
    if (!(err instanceof BlockedError)) throw err;
    return { info: blockedClusterInfo(descriptor, driver.kind, err.missing), stop: async () => {} };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // vitest.config.ts refuses bad input first; a config that does not still gets it refused here, before any boot:
  // the InvalidInputError names the variable, and the selected target (never a silent fallback to the lab) is
  // checked along with it
  const badNode = unsupportedNode();
  if (badNode) {
    process.stderr.write(`vitest: ${badNode}\n`);
    process.exit(2);
  }
  checkEnvironment();
  checkWorkRoot();
  selectTarget();
  // `vitest list` only collects test names (with --tags-filter, say): nothing runs, so nothing boots
  if (process.argv[2] === 'list') {
    project.provide(
      'ultracloudCluster',
      blockedClusterInfo(null, 'vitest-list', ['a booted cluster (vitest list runs no lane)']),
    );
    return async () => {};
  }
  shared.users++;
  shared.boot ??= bootSelected();
  const { info } = await shared.boot;
  project.provide('ultracloudCluster', info);
  return async () => {
    shared.users--;
    if (shared.users > 0 || !shared.boot) return;
    const { stop } = await shared.boot;
    shared.boot = undefined;
    await stop();
  };
}

function blockedClusterInfo(descriptor: TargetDescriptor | null, kind: string, missing: string[]): ClusterInfo {
  const name = descriptor?.name ?? kind;
  return {
    descriptor: descriptor ?? ({ name, kind, flake: '', attributes: {}, nodes: [] } as unknown as TargetDescriptor),
    target: { name, kind, flake: descriptor?.flake ?? null, gitRevision: null, bindings: descriptor?.bindings ?? null },
    state: {},
    facts: {},
    blocked: missing,
  };
}
