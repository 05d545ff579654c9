import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { HarnessError } from '../../contracts/errors.ts';
import { projectNode } from '../../helpers/node-version.ts';
import { currentRunId, projectRoot, workRoot } from '../../helpers/proof-root.ts';
import { currentLab } from '../../lab/cluster/current-lab.ts';
import { findLab, type LabRecord, listLabs, processAlive } from '../../lab/cluster/lab-registry.ts';
import { destroyLabRecord } from '../../lab/cluster/stale-labs.ts';
import { selectTarget } from '../../profiles/load-descriptor.ts';
import { forwardInterruptOnce } from '../forward-interrupt.ts';
import { reportLaneVerdict } from '../lane-verdict.ts';
import { parseCommandArgs } from '../usage.ts';

/** A `ucproof cluster` subcommand that runs one lane's test: on the running lab, or on a cluster of its own. */
export interface ClusterLaneCommand {
  lane: string;
  file: string;
  /** boot a cluster for the run and tear it down afterwards; otherwise run on the lab `cluster up` left running */
  fresh: boolean;
}

export const clusterLaneCommands: Record<string, ClusterLaneCommand> = {
  'demo-vm-webapp': {
    lane: 'fresh-demo-vm-webapp',
    file: 'tests/publishable/fresh-demo-vm-webapp.test.ts',
    fresh: false,
  },
  matrix: { lane: 'fresh-matrix', file: 'tests/publishable/fresh-matrix.test.ts', fresh: false },
  'fresh-matrix': { lane: 'fresh-matrix', file: 'tests/publishable/fresh-matrix.test.ts', fresh: true },
  'bench-storage': { lane: 'bench-storage', file: 'tests/companion/bench-storage.test.ts', fresh: false },
  'fresh-bench-storage': { lane: 'bench-storage', file: 'tests/companion/bench-storage.test.ts', fresh: true },
  'provider-vm-reality-proof': {
    lane: 'provider-vm-reality-proof',
    file: 'tests/companion/provider-vm-reality-proof.test.ts',
    fresh: true,
  },
};

/** Exit code of a plain form with no cluster up: the run is blocked on a missing requirement, not a bad argument. */
export const noClusterExit = 3;

/**
 * Run `command`'s lane through Vitest (the same test file `vitest run` runs, only its lane test), printing where its
 * proof root is and its verdict. Exit: 0 passed, 1 failed, 3 blocked or no cluster up, 130 interrupted.
 */
export async function runClusterLane(sub: string, command: ClusterLaneCommand, argv: string[]): Promise<number> {
  parseCommandArgs(argv, { options: {} });
  const tag = `[cluster ${sub}]`;
  const env: NodeJS.ProcessEnv = { ...process.env, ULTRACLOUD_SUITE_NAME: `cluster-${sub}` };
  // a bad target selection is exit 2 before anything boots
  selectTarget(env);
  if (command.fresh) {
    delete env.ULTRACLOUD_KEEP_CLUSTER;
    process.stderr.write(`${tag} booting a fresh cluster for ${command.lane}; it is torn down afterwards\n`);
  } else {
    const lab = currentLab(workRoot(env));
    if (!lab) {
      process.stderr.write(
        `ucproof cluster ${sub}: no cluster is up (start one with 'ucproof cluster up'${
          clusterLaneCommands[`fresh-${sub}`] ? `, or run 'ucproof cluster fresh-${sub}'` : ''
        })\n`,
      );
      return noClusterExit;
    }
    // harness/cluster-setup.ts reuses the lab work/lab/current.json names and leaves it running
    env.ULTRACLOUD_KEEP_CLUSTER = '1';
    process.stderr.write(`${tag} running ${command.lane} on the running cluster ${lab.labId} (${lab.subnet})\n`);
  }
  const runId = currentRunId(env);
  const proofRoot = join(workRoot(env), command.lane, runId);
  process.stderr.write(`${tag} run ${runId}\n${tag} proof root ${proofRoot}\n`);

  const labsBefore = new Set(listLabs().map((l) => l.labId));
  const vitest = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [vitest, 'run', command.file, '-t', `^${command.lane}$`];
  const child = spawn(projectNode(), args, { cwd: projectRoot, env, stdio: 'inherit' });
  const signals = forwardInterruptOnce(child, () =>
    process.stderr.write(`${tag} interrupted; waiting for the lane to clean up\n`),
  );
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new HarnessError(`cannot start vitest: ${err.message}`)));
    child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
  });
  signals.dispose();
  // an interrupted Vitest can exit before its cluster's controller has finished: the command ends with it gone
  if (command.fresh) {
    for (const id of await tearDownLabsOfRun(labsBefore, join(workRoot(env), 'lab'))) {
      process.stderr.write(`${tag} cluster ${id} torn down\n`);
    }
  }
  if (signals.interrupted || code === 130) return 130;
  return reportLaneVerdict(tag, proofRoot, code);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `pid` has exited, up to `ms`; whether it has. */
async function exited(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
  return true;
}

/**
 * The labs this run booted (registered since `before`, their state under `labRoot`) that are still registered:
 * each one's controller gets time to finish, then SIGTERM, and what it left is removed. Returns their ids.
 */
async function tearDownLabsOfRun(before: ReadonlySet<string>, labRoot: string): Promise<string[]> {
  const mine = (r: LabRecord) => !before.has(r.labId) && r.stateDir.startsWith(`${labRoot}/`);
  const ids: string[] = [];
  for (const record of listLabs().filter(mine)) {
    if (!(await exited(record.pid, 60_000))) {
      process.kill(record.pid, 'SIGTERM');
      await exited(record.pid, 30_000);
    }
    const left = findLab(record.labId);
    if (left && !processAlive(left.pid)) await destroyLabRecord(left);
    ids.push(record.labId);
  }
  return ids;
}
