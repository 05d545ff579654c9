import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HarnessError, WaitTimeoutError } from '../contracts/errors.ts';
import { socketPathIn } from './proof-root.ts';
import { type GuestSpec, qemuArgs } from './qemu-args.ts';
import { QmpClient } from './qemu-qmp.ts';

export type { AcceleratorMode, GuestDrive, GuestSpec, HostForward } from './qemu-args.ts';

export interface GuestExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running QEMU guest. Disposing it ends QEMU (quit, then SIGKILL) and removes its QMP socket. */
export interface QemuGuest extends AsyncDisposable {
  readonly name: string;
  readonly pid: number;
  readonly qmp: QmpClient;
  readonly serialLog: string;
  readonly spec: GuestSpec;
  /** settles when QEMU exits (guest poweroff, reboot with exitOnReboot, quit, kill) */
  readonly exited: Promise<GuestExit>;
  readonly running: boolean;
  /** ACPI power button: a graceful shutdown the guest may take its time over */
  powerdown(): Promise<void>;
  /** hard reset, like the reset button */
  reset(): Promise<void>;
  /** stop the vCPUs / continue them */
  pause(): Promise<void>;
  cont(): Promise<void>;
  /** end QEMU at once through QMP (no guest shutdown) */
  quit(): Promise<void>;
  /** SIGKILL the QEMU process: power loss */
  kill(): Promise<void>;
  /** wait for QEMU to exit; throws WaitTimeoutError after timeoutMs */
  waitForExit(timeoutMs: number): Promise<GuestExit>;
}

const qemuBinary = () => process.env.ULTRACLOUD_QEMU ?? 'qemu-system-x86_64';

/** Boot a guest under QEMU: serial console appended to spec.serialLog, QMP connected, slirp forwards set up. */
export async function bootGuest(spec: GuestSpec): Promise<QemuGuest> {
  await mkdir(dirname(spec.serialLog), { recursive: true });
  // beside the guest's console, in the state of whoever boots it (inside a lab node, that node's)
  const qmpSocket = socketPathIn(dirname(spec.serialLog), `qmp-${spec.name}-${randomBytes(4).toString('hex')}.sock`);
  // setpriv execs QEMU with a parent-death signal, so a killed test run leaves no guest behind.
  const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', qemuBinary(), ...qemuArgs(spec, qmpSocket)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise<GuestExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new HarnessError(`cannot start ${qemuBinary()}: ${err.message}`)));
    void exited.then((e) =>
      reject(new HarnessError(`QEMU for "${spec.name}" exited at start (${describe(e)}): ${stderr.trim()}`)),
    );
  });
  spawnError.catch(() => {});
  let qmp: QmpClient;
  try {
    qmp = await Promise.race([QmpClient.connect(qmpSocket, { timeoutMs: 15_000 }), spawnError]);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await rm(qmpSocket, { force: true });
    throw err;
  }
  return makeGuest(spec, child, qmp, qmpSocket, exited);
}

function describe(e: GuestExit): string {
  return e.signal ? `signal ${e.signal}` : `exit code ${e.code}`;
}

function makeGuest(
  spec: GuestSpec,
  child: ChildProcess,
  qmp: QmpClient,
  qmpSocket: string,
  exited: Promise<GuestExit>,
): QemuGuest {
  let running = true;
  void exited.then(() => {
    running = false;
    qmp.close();
    return rm(qmpSocket, { force: true });
  });
  const waitForExit = async (timeoutMs: number): Promise<GuestExit> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WaitTimeoutError(`QEMU "${spec.name}" did not exit after ${timeoutMs} ms`, timeoutMs)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const kill = async () => {
    if (running) child.kill('SIGKILL');
    await exited;
  };
  const quit = async () => {
    if (!running) return;
    await qmp.execute('quit').catch(() => {});
    await waitForExit(5_000).catch(kill);
  };
  return {
    name: spec.name,
    pid: child.pid ?? -1,
    qmp,
    serialLog: spec.serialLog,
    spec,
    exited,
    get running() {
      return running;
    },
    powerdown: async () => void (await qmp.execute('system_powerdown')),
    reset: async () => {
      // With exitOnReboot a reset would end QEMU. Let this one reset the machine, including the firmware's own
      // follow-up reset on a warm boot, then restore the action.
      const exitOnReboot = spec.exitOnReboot ?? true;
      if (exitOnReboot) await qmp.execute('set-action', { reboot: 'reset' });
      const reset = qmp.waitForEvent('RESET', 10_000);
      await qmp.execute('system_reset');
      await reset;
      if (!exitOnReboot) return;
      await qmp.waitForEvent('RESET', 5_000).catch(() => {});
      await qmp.execute('set-action', { reboot: 'shutdown' });
    },
    pause: async () => void (await qmp.execute('stop')),
    cont: async () => void (await qmp.execute('cont')),
    quit,
    kill,
    waitForExit,
    [Symbol.asyncDispose]: quit,
  };
}
