import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HarnessError, WaitTimeoutError } from '../../contracts/errors.ts';
import { QmpClient } from '../qemu-qmp.ts';
import { sleep } from '../retry.ts';
import type { VmRunnerNode } from './node.ts';

/**
 * Process control of one NixOS VM runner (`bin/run-<host>-vm`) from plain data only, so the launcher and any
 * worker reach the same VM: the runner execs QEMU as the leader of its own process group, whose id is kept in
 * the node's pid file; QMP is reached on the node's socket, one short connection per command.
 */
export async function startVmRunner(node: VmRunnerNode, options: { dieWithParent?: boolean } = {}): Promise<number> {
  if (await vmRunnerPid(node)) throw new HarnessError(`VM "${node.name}" is already running`);
  await mkdir(dirname(node.serialLog), { recursive: true });
  await mkdir(dirname(node.pidFile), { recursive: true });
  await rm(node.qmpSocket, { force: true });
  const stderrFd = openSync(node.runnerLog, 'a');
  const argv = options.dieWithParent ? ['setpriv', '--pdeathsig', 'SIGKILL', '--', node.runner] : [node.runner];
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: dirname(node.diskImage),
    env: { ...process.env, ...node.env },
    detached: true,
    stdio: ['ignore', stderrFd, stderrFd],
  });
  closeSync(stderrFd);
  const pid = child.pid;
  if (!pid) throw new HarnessError(`cannot start "${node.runner}" for VM "${node.name}"`);
  child.unref();
  await writeFile(node.pidFile, `${pid}\n`);
  try {
    await qmp(node, 'query-status', undefined, 30_000);
  } catch (err) {
    const log = (await readFile(node.runnerLog, 'utf8').catch(() => '')).trim().slice(-800);
    await killVmRunner(node);
    throw new HarnessError(`VM "${node.name}" did not open its QMP socket "${node.qmpSocket}": ${log}`, {
      cause: err,
    });
  }
  return pid;
}

/** The runner's process group id while its QEMU lives, else null. */
export async function vmRunnerPid(node: VmRunnerNode): Promise<number | null> {
  const pid = Number((await readFile(node.pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const zombie = / Z /.test(stat.slice(stat.lastIndexOf(')')));
  return cmdline.includes('qemu') && !zombie ? pid : null;
}

/** One QMP command on the node's socket (QEMU serves one monitor client at a time). */
export async function qmp<T = unknown>(
  node: VmRunnerNode,
  command: string,
  args?: Record<string, unknown>,
  connectTimeoutMs = 5_000,
): Promise<T> {
  const client = await QmpClient.connect(node.qmpSocket, { timeoutMs: connectTimeoutMs });
  try {
    return await client.execute<T>(command, args);
  } finally {
    client.close();
  }
}

/** Wait until the runner's QEMU is gone; WaitTimeoutError after timeoutMs. */
export async function waitForVmExit(node: VmRunnerNode, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (await vmRunnerPid(node)) {
    if (performance.now() > deadline) {
      throw new WaitTimeoutError(`VM "${node.name}" still running after ${timeoutMs} ms`, timeoutMs);
    }
    await sleep(100);
  }
}

/** Power loss: SIGKILL the runner's whole process group. */
export async function killVmRunner(node: VmRunnerNode): Promise<void> {
  const pid = Number((await readFile(node.pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    await waitForVmExit(node, 10_000);
  }
  await rm(node.pidFile, { force: true });
  await rm(node.qmpSocket, { force: true });
}

/** End QEMU at once: QMP quit, then SIGKILL of the process group if it lingers. */
export async function quitVmRunner(node: VmRunnerNode): Promise<void> {
  if (await vmRunnerPid(node)) {
    await qmp(node, 'quit', undefined, 2_000).catch(() => {});
    await waitForVmExit(node, 5_000).catch(() => {});
  }
  await killVmRunner(node);
}
