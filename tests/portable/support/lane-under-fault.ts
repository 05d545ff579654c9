import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../../../contracts/target.ts';
import type { LaneDefinition } from '../../../harness/define.ts';
import { type LaneContextWithWaits, runLane } from '../../../harness/run-lane.ts';
import { clusterStartShape } from '../../../harness/start-shape.ts';
import { workTempDir } from '../../../helpers/proof-root.ts';
import type { ServiceName } from '../../../profiles/descriptor-schema.ts';
import { LaneResult } from '../../../profiles/result-schema.ts';

export interface FaultSwitch {
  service: ServiceName;
  fault: string;
  node?: string;
}

/**
 * Run a lane against the cluster with one fault switched on, and answer the result.json it left on disk. The
 * fault is cleared afterwards, also when the run throws. The run's own work root lives in the suite's work root
 * (its disposable tmp/), with the run's evidence, never in the host's /tmp.
 */
export async function runUnderFault<C>(
  lane: LaneDefinition<C> & { run(ctx: LaneContextWithWaits<C>): Promise<void> },
  cluster: Cluster,
  target: C,
  fault: FaultSwitch,
): Promise<LaneResult> {
  const workRoot = await workTempDir(`${lane.name}-fault-`);
  const runId = `fault-${fault.service}-${fault.fault}`;
  await cluster.faults.set(fault.service, fault.fault, fault.node);
  try {
    // like every lane of the suite, from the canonical shape: restored first once a lane used the cluster, so the
    // fault is on from the restored services' first moment and nothing an earlier run left reaches this one
    await runLane(lane, {
      target,
      targetName: cluster.descriptor.name,
      runId,
      workRoot,
      log: () => {},
      startShape: clusterStartShape(cluster),
    });
  } finally {
    await cluster.faults.clear(fault.service, fault.fault, fault.node);
  }
  return LaneResult.parse(JSON.parse(await readFile(join(workRoot, lane.name, runId, 'result.json'), 'utf8')));
}
