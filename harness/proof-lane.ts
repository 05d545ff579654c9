import { test } from 'vitest';
import { BlockedError } from '../contracts/errors.ts';
import type { LaneDefinition } from './define.ts';
import { type LaneContextWithWaits, runLane } from './run-lane.ts';

export interface ProofLaneOptions<C> {
  /** builds what the lane runs against (e.g. the cluster handle from the global setup) */
  target: () => Promise<C> | C;
  targetName?: string;
  /** the Vitest timeout for the whole lane */
  timeoutMs?: number;
}

/**
 * Register a lane as one Vitest test named after it, so `vitest run -t <lane>` selects it. The lane's steps are
 * printed as they happen and recorded in its proof root; a failure message reads "lane › step: property ...".
 */
export function proofLane<C>(
  def: LaneDefinition<C> & { run(ctx: LaneContextWithWaits<C>): Promise<void> },
  options: ProofLaneOptions<C>,
): void {
  test(def.name, { timeout: options.timeoutMs ?? 20 * 60_000 }, async ({ signal, skip, annotate }) => {
    let target: C;
    let lane = def;
    try {
      target = await options.target();
    } catch (err) {
      if (!(err instanceof BlockedError)) throw err;
      // the target cannot be had on this host: the lane records blocked, naming what is missing
      const missing = err.missing;
      target = undefined as C;
      lane = { ...def, run: async (ctx) => ctx.block(missing) };
    }
    const result = await runLane(lane, {
      target,
      targetName: options.targetName ?? process.env.ULTRACLOUD_TARGET_NAME ?? 'reference-lab',
      signal,
    });
    await annotate(`proof root: work/${def.name}/${result.runId} (${result.status})`, 'proof-root');
    if (result.status === 'blocked') {
      skip(`blocked: missing ${result.missingRequirements.join(', ')}`);
      return;
    }
    if (!result.success) {
      const f = result.failure;
      const where = f?.stepPath.join(' › ') ?? def.name;
      // a property violation's message already starts with the step path
      throw new Error(f?.kind === 'property' ? f.message : `${where}: ${f?.message ?? result.status}`);
    }
  });
}
