import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../../../contracts/target.ts';
import type { LaneDefinition } from '../../../harness/define.ts';
import { runLane } from '../../../harness/run-lane.ts';
import { clusterStartShape } from '../../../harness/start-shape.ts';
import { workTempDir } from '../../../helpers/proof-root.ts';
import type { ServiceName } from '../../../profiles/descriptor-schema.ts';
import type { LaneResult } from '../../../profiles/result-schema.ts';
import { startLab } from './lab.ts';

export interface FaultedLaneOptions {
  /** faults on from boot, "service:fault[@node]" */
  faults: string[];
  /** boot only these services (default: every service of the six-node topology) */
  services?: ServiceName[];
}

/**
 * A lane's negative test: boot a reference lab of its own with the named faults on, run the lane against it
 * exactly as the suite does, and return its verdict (the caller asserts which step and property it names).
 * The lab and the temporary work root are removed afterwards, whatever happened.
 */
export async function runLaneWithFaults(
  lane: LaneDefinition<Cluster>,
  options: FaultedLaneOptions,
): Promise<LaneResult> {
  const root = await workTempDir(`ucp-negative-${lane.name}-`);
  try {
    await using lab = await startLab({
      faults: options.faults.join(','),
      ...(options.services ? { services: options.services } : {}),
      workRoot: join(root, 'lab'),
    });
    return await runLane(lane, {
      target: lab.cluster,
      targetName: `${lab.cluster.descriptor.name} with ${options.faults.join(', ')}`,
      runId: 'negative',
      workRoot: root,
      log: () => {},
      startShape: clusterStartShape(lab.cluster),
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
