import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';

/**
 * Where the proof harness registers itself for a lane check's build. The reference flake's lane checks
 * (lab/nix/lib.nix `mkLaneCheck`) read this path: their builder gets a clean environment and finds the harness,
 * and the run's environment, only here.
 */
export const checkRegistrationPath = '/run/ultracloud-proof/check-harness.json';

/** The lane checks of the reference flake: building one runs the lane of the same name. */
export const laneChecks = [
  'deployer-bootstrap-e2e',
  'host-lifecycle-e2e',
  'deployer-vm-smoke',
  'deployer-vm-rollback',
  'fleet-scheduler-e2e',
  'portable-control-plane-regressions',
] as const;
export type LaneCheck = (typeof laneChecks)[number];

/** absolute, and without the characters the builder's one-line reader cannot carry */
const plainPath = z
  .string()
  .regex(/^\/[^"\\\n]*$/, { error: 'must be an absolute path without quotes, backslashes or newlines' });

export const CheckRegistration = z.object({
  schema: z.literal('ultracloud-proof/check-harness@1'),
  /** the node binary the builder runs */
  node: plainPath,
  /** the ucproof entry point (cli/main.ts) */
  cli: plainPath,
  /** the check this registration is for: a build of any other check refuses it */
  check: z.enum(laneChecks),
  /** the registering ucproof process */
  pid: z.number().int().positive(),
  /** the run's environment the lane runs with (PATH, HOME, ULTRACLOUD_*: work root, lab faults) */
  env: z.record(z.string(), z.string()),
});
export type CheckRegistration = z.infer<typeof CheckRegistration>;

/** The registration's file text: one field a line, node and cli first (the builder reads those two with sed). */
export function formatRegistration(r: CheckRegistration): string {
  const valid = CheckRegistration.parse(r);
  return `${JSON.stringify(valid, null, 2)}\n`;
}

/** Why a registration cannot be used, naming the file and what is wrong with it. */
export class RegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/**
 * Read the registration a build must use: present, owned by root and writable by nobody else (anyone else could
 * otherwise choose what a root build runs), valid, and for `check`.
 */
export function readRegistration(check: string, path = checkRegistrationPath): CheckRegistration {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new RegistrationError(`no proof harness is registered for this build: ${path} is missing`);
  }
  if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new RegistrationError(
      `${path} must be owned by root and writable only by it (uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)})`,
    );
  }
  let parsed: CheckRegistration;
  try {
    parsed = CheckRegistration.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (err) {
    const detail =
      err instanceof z.ZodError
        ? err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
        : String(err);
    throw new RegistrationError(`${path} is not a valid check-harness registration: ${detail}`);
  }
  if (parsed.check !== check) {
    throw new RegistrationError(`${path} registers the harness for check ${parsed.check}, not ${check}`);
  }
  return parsed;
}

/** Whether a process with this pid is alive (a registration whose writer is gone is stale). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
