import { readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'vitest';
import { BlockedError, LaneFailedError } from '../contracts/errors.ts';
import type { Cluster } from '../contracts/target.ts';
import { workRoot } from '../helpers/proof-root.ts';
import type { LaneMeta, LaneResult, StepRecord, TargetIdentity } from '../profiles/result-schema.ts';
import { takeRecordedCalls } from './cluster.ts';
import type { LaneDefinition } from './define.ts';
import { laneEvidence } from './lane-evidence.ts';
import { type LaneContextWithWaits, runLane } from './run-lane.ts';
import { clusterStartShape } from './start-shape.ts';

declare module 'vitest' {
  interface TaskMeta {
    /** the lane's verdict and where it ran, kept in blob reports for merged runs */
    ucproof?: LaneMeta;
  }
}

export interface ProofLaneOptions<C> {
  /** builds what the lane runs against (e.g. the cluster handle from the global setup) */
  target: () => Promise<C> | C;
  targetName?: string;
  /** the Vitest timeout for the whole lane */
  timeoutMs?: number;
  /** how often a lane whose harness broke runs again (default 1); a broken property never does */
  harnessRetries?: number;
}

/**
 * Vitest's retry condition for a lane: rerun only what failed as a broken harness, whose failure message starts
 * "broken harness: ". A RegExp, since Vitest 4.1 drops a function condition of a test before it runs. A Vitest
 * timeout of the whole lane is not rerun: the timed-out attempt may still be unwinding against the target.
 */
export const harnessFailurePrefix = 'broken harness: ';
export const retriesLane = /^broken harness: /;

type Seam = Pick<Cluster, 'target' | 'unbound'> & Partial<Pick<Cluster, 'facts'>>;
const isSeam = (x: unknown): x is Seam =>
  !!x && typeof x === 'object' && typeof (x as Seam).unbound === 'function' && !!(x as Seam).target;

const isCluster = (x: Seam | null): x is Cluster =>
  !!x && 'ports' in x && 'restore' in x && typeof (x as Cluster).node === 'function';

/** The cluster a lane's target is or carries (a composed lane's target holds it as `cluster`). */
export function clusterOf(target: unknown): Seam | null {
  if (isSeam(target)) return target;
  const inner = (target as { cluster?: unknown } | null)?.cluster;
  return isSeam(inner) ? inner : null;
}

/**
 * Register a lane as one Vitest test named after it, so `vitest run -t <lane>` selects it. The lane's steps are
 * printed as they happen and recorded in its proof root; a failure message reads "lane › step: property ...".
 * A target that does not bind what the lane declares it needs ends the lane blocked before its first step,
 * listing every missing `service.operation`; an undeclared unbound operation blocks it when first called. A target
 * that cannot be set up fails the lane as a broken harness. A lane whose harness broke runs once more (its first
 * attempt kept under attempts/1/, `flaky` when the rerun passes); a failed or interrupted lane leaves failure/.
 */
export function proofLane<C>(
  def: LaneDefinition<C> & { run(ctx: LaneContextWithWaits<C>): Promise<void> },
  options: ProofLaneOptions<C>,
): void {
  // the results of this lane's attempts so far in this run (a rerun keeps the earlier ones)
  const earlier: LaneResult[] = [];
  const retry = { count: options.harnessRetries ?? 1, condition: retriesLane };
  test(def.name, { timeout: options.timeoutMs ?? 20 * 60_000, retry, tags: [...(def.tags ?? [])] }, async ({
    signal,
    skip,
    annotate,
    task,
  }) => {
    if ((task.result?.retryCount ?? 0) === 0) earlier.length = 0;
    let target: C;
    let lane = def;
    const blocked = (missing: string[]) => ({
      ...def,
      run: async (ctx: LaneContextWithWaits<C>) => ctx.block(missing),
    });
    try {
      target = await options.target();
    } catch (err) {
      target = undefined as C;
      // the target cannot be had on this host: the lane records blocked, naming what is missing; any other
      // setup error is the lane's broken harness, recorded (and rerun) like one
      lane =
        err instanceof BlockedError
          ? blocked(err.missing)
          : {
              ...def,
              run: async () => {
                throw err;
              },
            };
    }
    const cluster = clusterOf(target);
    const identity: TargetIdentity | null =
      cluster?.target ?? (target as { identity?: TargetIdentity } | null)?.identity ?? null;
    if (cluster && def.requires) {
      const missing = cluster.unbound(def.requires);
      if (missing.length) lane = blocked(missing);
    }
    takeRecordedCalls();
    // a cluster lane that runs starts from the canonical shape (restored to the booted state where the target can)
    // (the shape's reads are the harness's, not the lane's calls: dropped from its recorded bindings)
    const startShape = lane === def && isCluster(cluster) ? clusterStartShape(cluster, takeRecordedCalls) : undefined;
    // each finished step shows in the Vitest UI and HTML report as it happens, with its status and duration
    const annotations: Promise<unknown>[] = [];
    const onStep = (step: Readonly<StepRecord>) => {
      if (step.status === 'running') return;
      annotations.push(annotate(`${step.path.join(' › ')}: ${step.status} in ${step.durationMs} ms`, 'step'));
    };
    const root = workRoot();
    const result = await runLane(lane, {
      onStep,
      workRoot: root,
      target,
      targetName: options.targetName ?? identity?.name ?? process.env.ULTRACLOUD_TARGET_NAME ?? 'reference-lab',
      targetIdentity: identity,
      ...(cluster?.facts ? { targetFacts: cluster.facts } : {}),
      usedBindings: takeRecordedCalls,
      signal,
      earlierAttempts: [...earlier],
      evidence: laneEvidence(def.name, task.file?.filepath, cluster as Parameters<typeof laneEvidence>[2]),
      ...(startShape ? { startShape } : {}),
    });
    earlier.push(result);
    await Promise.allSettled(annotations);
    task.meta.ucproof = { result, host: hostname(), shard: process.env.ULTRACLOUD_SHARD || null, workRoot: root };
    await annotate(`proof root: work/${def.name}/${result.runId} (${result.status})`, 'proof-root');
    for (const file of proofRootAttachments(join(root, def.name, result.runId), result)) {
      await annotate(file.name, 'proof-file', { path: file.path, contentType: file.contentType });
    }
    const undeclared = result.bindings?.used.filter((o) => !def.requires?.includes(o)) ?? [];
    if (def.requires && undeclared.length) {
      await annotate(`called but not declared in requires: ${undeclared.join(', ')}`, 'bindings');
    }
    if (result.status === 'blocked') {
      skip(`blocked: missing ${result.missingRequirements.join(', ')}`);
      return;
    }
    if (!result.success) {
      const f = result.failure;
      const where = f?.stepPath.join(' › ') ?? def.name;
      // a property violation's message already starts with the step path
      const message =
        f?.kind === 'property'
          ? f.message
          : `${result.failureClass === 'harness' ? harnessFailurePrefix : ''}${where}: ${f?.message ?? result.status}`;
      if (result.failureClass) throw new LaneFailedError(message, result.failureClass);
      throw new Error(message);
    }
  });
}

/** Attachments larger than this stay in the proof root only (the UI and HTML report link the root instead). */
const attachmentLimitBytes = 2 * 1024 * 1024;

/**
 * A lane's main proof files as test attachments: result.json, environment.txt, the failure bundle's files and the
 * serial and console logs among its artifacts.
 */
export function proofRootAttachments(
  proofRoot: string,
  result: Pick<LaneResult, 'artifacts' | 'failureBundle'>,
): Array<{ name: string; path: string; contentType: string }> {
  const names = ['result.json', 'environment.txt'];
  if (result.failureBundle) {
    try {
      for (const e of readdirSync(join(proofRoot, result.failureBundle), { withFileTypes: true }))
        if (e.isFile()) names.push(join(result.failureBundle, e.name));
    } catch {
      // a bundle that could not be written is named in the lane's log, not here
    }
  }
  names.push(...result.artifacts.filter((a) => /(^|\/)(serial|console)[^/]*\.log$|\.serial\.log$/.test(a)));
  return names.flatMap((name) => {
    const path = join(proofRoot, name);
    try {
      const st = statSync(path);
      if (!st.isFile() || st.size > attachmentLimitBytes) return [];
    } catch {
      return [];
    }
    const contentType = name.endsWith('.json') ? 'application/json' : 'text/plain';
    return [{ name, path, contentType }];
  });
}
