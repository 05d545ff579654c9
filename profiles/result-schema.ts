import { z } from 'zod';

/** flaky: the lane failed on a broken harness, was run again and passed; both attempts are kept */
export const LaneStatus = z.enum(['passed', 'flaky', 'failed', 'blocked', 'interrupted']);
export type LaneStatus = z.infer<typeof LaneStatus>;

/**
 * Why a lane or step failed. property: the target broke a property the lane checks (a PropertyViolation).
 * harness: the run could not do its job (a node out of reach, a port clash, a transient error, a setup error, a
 * timeout outside a check). A blocked or interrupted lane has neither.
 */
export const FailureClass = z.enum(['property', 'harness']);
export type FailureClass = z.infer<typeof FailureClass>;

export const StepRecord = z.object({
  /** path of titles from the lane down, e.g. ["add learner on node04", "wait for catch-up"] */
  path: z.array(z.string()),
  /** running: still running when result.json was written; interrupted: the lane was stopped while it ran */
  status: z.enum(['passed', 'failed', 'running', 'blocked', 'interrupted']),
  startedAt: z.string(),
  durationMs: z.number().nonnegative().nullable(),
  /** named checks evaluated inside this step, in order */
  checks: z.array(z.object({ property: z.string(), ok: z.boolean(), detail: z.string().optional() })).default([]),
  /** for a failed step, why it failed */
  failureClass: FailureClass.optional(),
});
export type StepRecord = z.infer<typeof StepRecord>;

/** Which target really ran (descriptor name and kind, flake and its git revision, the bindings module). */
export const TargetIdentity = z.object({
  name: z.string().min(1),
  kind: z.string().min(1),
  flake: z.string().nullable(),
  gitRevision: z.string().nullable(),
  bindings: z.string().nullable(),
});
export type TargetIdentity = z.infer<typeof TargetIdentity>;

/** One check of the canonical shape a cluster lane starts from (harness/start-shape.ts); ok null: not checked. */
export const StartShapeCheck = z.object({ name: z.string(), ok: z.boolean().nullable(), detail: z.string() });
export type StartShapeCheck = z.infer<typeof StartShapeCheck>;

/** The cluster as a lane found it before its first step, and whether it was restored to its booted state first. */
export const StartShape = z.object({
  /** every check that could be made passed */
  canonical: z.boolean(),
  /** ULTRACLOUD_RESTORE: lane (restore whenever a lane used the cluster since), dirty (only when out of shape), never */
  policy: z.enum(['lane', 'dirty', 'never']),
  /** whether the target can be restored at all */
  restoreOffered: z.boolean(),
  /** the restores made before this lane, each with its time */
  restores: z.array(z.object({ totalMs: z.number().nonnegative(), detail: z.string() })),
  /** the checks that failed before a restore put the cluster back in shape */
  dirtyBeforeRestore: z.array(StartShapeCheck),
  checks: z.array(StartShapeCheck),
  durationMs: z.number().nonnegative(),
});
export type StartShape = z.infer<typeof StartShape>;

export const LaneFailure = z.object({
  kind: z.enum(['property', 'harness', 'timeout', 'interrupted']),
  /** "lane › step › substep" */
  stepPath: z.array(z.string()),
  /** the broken property, for kind=property */
  property: z.string().optional(),
  message: z.string(),
});
export type LaneFailure = z.infer<typeof LaneFailure>;

/** An earlier attempt of a lane that was run again, its files kept under `root` (attempts/<n>/). */
export const LaneAttempt = z.object({
  attempt: z.number().int().positive(),
  status: LaneStatus,
  failureClass: FailureClass.nullable(),
  failure: LaneFailure.nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  steps: z.array(StepRecord),
  /** relative to the proof root */
  root: z.string(),
});
export type LaneAttempt = z.infer<typeof LaneAttempt>;

export const LaneResult = z.object({
  schema: z.literal('ultracloud-proof/result@1'),
  lane: z.string().min(1),
  group: z.string().min(1),
  runId: z.string().min(1),
  target: z.string().min(1),
  /** the target that ran, for lanes run against one */
  targetIdentity: TargetIdentity.nullable().default(null),
  success: z.boolean(),
  status: LaneStatus,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nonnegative().nullable(),
  steps: z.array(StepRecord),
  failure: LaneFailure.nullable(),
  /** for a failed lane, why it failed (null when it passed, was blocked or interrupted) */
  failureClass: FailureClass.nullable().default(null),
  /** which attempt this result is (a lane whose harness broke runs once more) */
  attempt: z.number().int().positive().default(1),
  /** the attempts before this one, oldest first */
  attempts: z.array(LaneAttempt).default([]),
  /** the failure bundle's folder relative to the proof root (logs, cluster state, rerun.txt), for a failed lane */
  failureBundle: z.string().nullable().default(null),
  /** requirements that were missing, for status=blocked */
  missingRequirements: z.array(z.string()).default([]),
  /** the port operations the lane declares it needs, and those it called (`service.operation`) */
  bindings: z
    .object({ required: z.array(z.string()), used: z.array(z.string()) })
    .nullable()
    .default(null),
  /** artifact file names relative to the proof root */
  artifacts: z.array(z.string()),
  environment: z.record(z.string(), z.string()),
  /** the process writing this result while the run goes on (the placeholder's), so a live root is never pruned */
  writerPid: z.number().int().positive().nullable().default(null),
  /** for a cluster lane: the shape the cluster was in before the first step (and any restore before it) */
  startShape: StartShape.nullable().default(null),
});
export type LaneResult = z.infer<typeof LaneResult>;

export const SuiteResult = z.object({
  schema: z.literal('ultracloud-proof/suite-result@1'),
  suite: z.string(),
  runId: z.string(),
  success: z.boolean(),
  status: LaneStatus,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** the targets the lanes ran against (one, unless lanes brought their own) */
  targets: z.array(TargetIdentity).default([]),
  lanes: z.array(
    z.object({
      lane: z.string(),
      status: LaneStatus,
      proofRoot: z.string().nullable(),
      /** for a blocked lane, what is missing (bindings as `service.operation`) */
      missing: z.array(z.string()).default([]),
      /** the shard (`index/count`) that ran the lane, for a sharded run */
      shard: z.string().nullable().default(null),
      /** the host that ran the lane */
      host: z.string().nullable().default(null),
    }),
  ),
  environment: z.record(z.string(), z.string()),
  /** the process writing this result while the run goes on (the placeholder's), so a live root is never pruned */
  writerPid: z.number().int().positive().nullable().default(null),
});
export type SuiteResult = z.infer<typeof SuiteResult>;

/**
 * What a lane's Vitest test carries in its task meta. Blob reports keep it, so a report merged from shards that
 * ran on other hosts (`vitest --merge-reports`) still has every lane's verdict, steps and where it ran.
 */
export const LaneMeta = z.object({
  result: LaneResult,
  host: z.string(),
  /** `index/count` of a sharded run (`--shard`), else null */
  shard: z.string().nullable(),
  /** the work root the lane's proof root was written under, on its host */
  workRoot: z.string(),
});
export type LaneMeta = z.infer<typeof LaneMeta>;
