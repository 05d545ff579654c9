import { spawn } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HarnessError } from '../../contracts/errors.ts';
import { localBuildArgs, localBuildSettings, offlineArgs } from '../../guards/nix-build-settings.ts';
import { referenceFlake } from '../../guards/nix-command.ts';
import {
  type CheckRegistration,
  checkRegistrationPath,
  formatRegistration,
  type LaneCheck,
  laneChecks,
  processAlive,
  RegistrationError,
  readRegistration,
} from '../../helpers/check-registration.ts';
import { projectNode } from '../../helpers/node-version.ts';
import { newRunId, projectRoot, workRoot } from '../../helpers/proof-root.ts';
import { checkWorkRoot } from '../../profiles/env-schema.ts';
import { forwardInterruptOnce } from '../forward-interrupt.ts';
import { readLaneResult } from '../lane-verdict.ts';
import { parseCommandArgs, UsageError } from '../usage.ts';

export const summary = 'build a reference-flake lane check: the nix build runs the lane and fails when it fails';

const usage = `usage: ucproof check NAME

Builds checks.x86_64-linux.NAME of the reference flake (lab/). The build runs the lane NAME against a lab of its
own and fails when the lane fails or is blocked; its output holds the lane's proof root (result.json). Before the
build this command registers the harness for it in
  ${checkRegistrationPath}
(root-owned, mode 0600: the node and CLI to run and this run's environment, ULTRACLOUD_WORK_ROOT and
ULTRACLOUD_LAB_FAULTS included) and removes the registration afterwards. The checks are impure derivations: every
build runs the lane again.

NAME, one of:
  ${laneChecks.join('\n  ')}

exit: 0 the build passed, 1 the build failed (the lane failed or was blocked; nix's log names the lane, the step
and the property), 2 bad arguments, 130 interrupted.

The builder runs 'ucproof check --in-build --out OUT NAME' itself; that mode is not for operators.`;

/** The part of this run's environment a lane check's build runs with: never the BMC credentials. */
const registeredVariables = (key: string) =>
  ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'].includes(key) ||
  (key.startsWith('ULTRACLOUD_') &&
    !['ULTRACLOUD_BMC_AUTH', 'ULTRACLOUD_RUN_ID', 'ULTRACLOUD_SUITE_NAME'].includes(key) &&
    !key.startsWith('ULTRACLOUD_VM_ACCELERATOR'));

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    allowPositionals: true,
    options: {
      'in-build': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one check NAME, got ${positionals.length}\n\n${usage}`);
  const name = positionals[0] as string;
  if (!(laneChecks as readonly string[]).includes(name)) {
    throw new UsageError(`NAME: "${name}" is not a lane check of the reference flake; known: ${laneChecks.join(', ')}`);
  }
  if (values['in-build']) {
    if (!values.out) throw new UsageError('--out: the build output directory is required with --in-build');
    return await inBuild(name as LaneCheck, values.out);
  }
  if (values.out) throw new UsageError('--out is for the builder (--in-build) only');
  checkWorkRoot();
  return await buildCheck(name as LaneCheck);
}

/** Register the harness, build the check with nix, remove the registration. */
async function buildCheck(name: LaneCheck): Promise<number> {
  const registration: CheckRegistration = {
    schema: 'ultracloud-proof/check-harness@1',
    node: projectNode(),
    cli: join(projectRoot, 'cli', 'main.ts'),
    check: name,
    pid: process.pid,
    env: {
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          (e): e is [string, string] => registeredVariables(e[0]) && e[1] !== undefined,
        ),
      ),
      ULTRACLOUD_WORK_ROOT: workRoot(),
    },
  };
  register(registration);
  const tag = `[check ${name}]`;
  try {
    const installable = `${referenceFlake}#checks.x86_64-linux.${name}`;
    process.stderr.write(`${tag} harness registered in ${checkRegistrationPath}\n${tag} nix build ${installable}\n`);
    const args = [
      ...['--extra-experimental-features', 'nix-command flakes'],
      ...localBuildArgs(localBuildSettings()),
      ...offlineArgs(),
      ...['build', '--print-build-logs', '--no-link', '--json', installable],
    ];
    const child = spawn('nix', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    const signals = forwardInterruptOnce(child);
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new HarnessError(`cannot start nix: ${err.message}`)));
      child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
    });
    signals.dispose();
    if (signals.interrupted) return 130;
    if (code !== 0) {
      process.stderr.write(`${tag} the build failed (nix exit ${code})\n`);
      return 1;
    }
    const built = (JSON.parse(stdout) as Array<{ drvPath: string; outputs: { out: string } }>)[0];
    const out = built?.outputs.out;
    const result = out ? readLaneResult(join(out, 'result.json')) : undefined;
    if (!out || !result) {
      process.stderr.write(`${tag} the build passed but its output has no lane result.json\n`);
      return 1;
    }
    process.stdout.write(`${out}\n`);
    process.stderr.write(
      `${tag} built ${built?.drvPath}: lane ${result.lane} ${result.status}: ${join(out, 'result.json')}\n`,
    );
    return 0;
  } finally {
    unregister(registration.pid);
  }
}

function register(r: CheckRegistration): void {
  if (existsSync(checkRegistrationPath)) {
    let holder: number | undefined;
    try {
      holder = (JSON.parse(readFileSync(checkRegistrationPath, 'utf8')) as { pid?: number }).pid;
    } catch {
      holder = undefined;
    }
    if (holder !== undefined && holder !== r.pid && processAlive(holder)) {
      throw new HarnessError(
        `another check build (ucproof pid ${holder}) holds ${checkRegistrationPath}; wait for it to finish`,
      );
    }
  }
  try {
    mkdirSync(dirname(checkRegistrationPath), { recursive: true, mode: 0o755 });
    const tmp = `${checkRegistrationPath}.${process.pid}.tmp`;
    writeFileSync(tmp, formatRegistration(r), { mode: 0o600 });
    renameSync(tmp, checkRegistrationPath);
  } catch (err) {
    throw new HarnessError(
      `cannot register the harness in ${checkRegistrationPath} (lane checks are built as root): ${(err as Error).message}`,
    );
  }
}

function unregister(pid: number): void {
  try {
    const holder = (JSON.parse(readFileSync(checkRegistrationPath, 'utf8')) as { pid?: number }).pid;
    if (holder === pid) rmSync(checkRegistrationPath, { force: true });
  } catch {
    // already gone
  }
}

/**
 * The builder's side: run the lane through the registered harness with the registered environment and a fresh
 * run id, then copy its proof root into the output. Anything but a passed lane fails the build, naming the lane,
 * the step and the broken property (or what a blocked lane misses).
 */
async function inBuild(name: LaneCheck, out: string): Promise<number> {
  const tag = `check ${name}:`;
  let registration: CheckRegistration;
  try {
    registration = readRegistration(name);
  } catch (err) {
    if (!(err instanceof RegistrationError)) throw err;
    process.stderr.write(`${tag} ${err.message}\n`);
    return 1;
  }
  const runId = newRunId();
  const env: NodeJS.ProcessEnv = { ...registration.env, ULTRACLOUD_RUN_ID: runId };
  const suite = `check-${name}`;
  const root = workRoot(env);
  process.stderr.write(`${tag} running lane ${name} (run ${runId}, work root ${root})\n`);
  const child = spawn(process.execPath, [registration.cli, 'proof', '--suite', suite, '--lane', name], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new HarnessError(`cannot start the proof harness: ${err.message}`)));
    child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
  });
  const laneRoot = join(root, name, runId);
  const result = readLaneResult(join(laneRoot, 'result.json'));
  if (!result) {
    // the suite stopped before the lane ran: blocked at preflight, naming what is missing
    const missingFile = join(root, suite, runId, 'missing-requirements.txt');
    if (code === 3 && existsSync(missingFile)) {
      const missing = readFileSync(missingFile, 'utf8').trim().split('\n').join(', ');
      process.stderr.write(`${tag} lane ${name} is blocked at preflight: missing ${missing}\n`);
      return 1;
    }
    process.stderr.write(`${tag} lane ${name} left no result (${join(laneRoot, 'result.json')}; proof exit ${code})\n`);
    return 1;
  }
  if (result.status === 'blocked') {
    process.stderr.write(`${tag} lane ${name} is blocked: missing ${result.missingRequirements.join(', ')}\n`);
    process.stderr.write(`${tag} proof root ${laneRoot}\n`);
    return 1;
  }
  if (result.status !== 'passed' && result.status !== 'flaky') {
    const f = result.failure;
    const step = f ? f.stepPath.join(' › ') : '(no step recorded)';
    const property = f?.property ? `property "${f.property}" broken` : `a ${f?.kind ?? result.status} failure`;
    process.stderr.write(`${tag} lane ${name} ${result.status} at step "${step}": ${property}\n`);
    if (f?.message) process.stderr.write(`${tag} ${f.message}\n`);
    process.stderr.write(`${tag} proof root ${laneRoot}\n`);
    return 1;
  }
  if (code !== 0) {
    process.stderr.write(`${tag} lane ${name} ${result.status} but the proof run exited ${code}\n`);
    return 1;
  }
  // regular files, directories and symlinks only: a socket or fifo has no place in a store path
  const copyable = (src: string) => {
    const s = lstatSync(src);
    return s.isFile() || s.isDirectory() || s.isSymbolicLink();
  };
  cpSync(laneRoot, out, { recursive: true, verbatimSymlinks: true, filter: copyable });
  const suiteRoot = join(root, suite, runId);
  if (existsSync(suiteRoot)) {
    cpSync(suiteRoot, join(out, 'suite'), { recursive: true, verbatimSymlinks: true, filter: copyable });
  }
  writeFileSync(
    join(out, 'check.json'),
    `${JSON.stringify({ schema: 'ultracloud-proof/lane-check@1', check: name, lane: name, runId, status: result.status, proofRoot: laneRoot }, null, 2)}\n`,
  );
  process.stderr.write(`${tag} lane ${name} ${result.status}; its proof root is the output\n`);
  return 0;
}
