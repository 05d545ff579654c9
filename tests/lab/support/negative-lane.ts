import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Cluster } from '../../../contracts/target.ts';
import type { LaneDefinition } from '../../../harness/define.ts';
import { runLane } from '../../../harness/run-lane.ts';
import { clusterStartShape } from '../../../harness/start-shape.ts';
import { workTempDir } from '../../../helpers/proof-root.ts';
import { parseFaultList } from '../../../lab/cluster/fault-catalogue.ts';
import type { ServiceName } from '../../../profiles/descriptor-schema.ts';
import type { LaneResult } from '../../../profiles/result-schema.ts';
import { type StartedLab, startLab } from './lab.ts';

export interface FaultedLaneOptions {
  /** faults on from boot, "service:fault[@node]" */
  faults: string[];
  /** boot only these services (default: every service of the six-node topology) */
  services?: ServiceName[];
  /**
   * `boot` (default): the faults are on from the restored services' first moment, as at a boot with them; `run`:
   * switched on once the restored lab is up, as a fault that strikes a running cluster (a heartbeat that stalls)
   */
  faultsAt?: 'boot' | 'run';
}

/**
 * The labs of one test file: one per set of services, booted at its first use and removed when the file ends.
 * Each run gets it restored to its booted snapshot with its faults already on, so every run starts as from a
 * boot with those faults, whatever the run before it left.
 */
interface FileLab {
  lab: StartedLab;
  root: string;
}
const labs = new Map<string, Promise<FileLab>>();
afterAll(async () => {
  const all = [...labs.values()];
  labs.clear();
  for (const entry of all) {
    const settled = await entry.catch(() => null);
    if (!settled) continue;
    await settled.lab.dispose();
    await rm(settled.root, { recursive: true, force: true });
  }
}, 120_000);

function fileLab(services: ServiceName[] | undefined): Promise<FileLab> {
  const key = services ? [...services].sort().join(',') : '*';
  let entry = labs.get(key);
  if (!entry) {
    entry = (async () => {
      const root = await workTempDir('ucp-negative-lab-');
      const lab = await startLab({ faults: '', ...(services ? { services } : {}), workRoot: join(root, 'lab') });
      return { lab, root };
    })();
    labs.set(key, entry);
  }
  return entry;
}

/**
 * A lane's negative test: the named faults switched on in the file's lab and the lab restored to its booted state
 * (with `faultsAt: 'boot'` the faults are on from the restored services' first moment, as at a boot with them;
 * with `run` they are switched on once it is up), the lane run against it exactly as the suite runs it, and its
 * verdict returned (the caller asserts which step and property it names).
 * The faults are switched off again and the run's work root removed, whatever happened.
 */
export async function runLaneWithFaults(
  lane: LaneDefinition<Cluster>,
  options: FaultedLaneOptions,
): Promise<LaneResult> {
  const { lab } = await fileLab(options.services);
  const cluster = lab.cluster;
  const root = await workTempDir(`ucp-negative-${lane.name}-`);
  const faults = parseFaultList(options.faults.join(','));
  try {
    if (options.faultsAt === 'run') {
      // back to the booted state first, then the faults strike the running lab
      await cluster.restore?.restore({ ifUsed: true });
      for (const f of faults) await cluster.faults.set(f.service, f.fault, f.node);
    } else {
      for (const f of faults) await cluster.faults.set(f.service, f.fault, f.node);
      // restored even when no lane used the lab yet: the faults must be on from the first moment
      await cluster.restore?.markUsed();
    }
    return await runLane(lane, {
      target: cluster,
      targetName: `${cluster.descriptor.name} with ${options.faults.join(', ')}`,
      runId: 'negative',
      workRoot: root,
      log: () => {},
      startShape: clusterStartShape(cluster, () => {}, 'lane'),
    });
  } finally {
    for (const f of faults) await cluster.faults.clear(f.service, f.fault, f.node).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}
