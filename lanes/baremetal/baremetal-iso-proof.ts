import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  BaremetalDisk,
  BaremetalNode,
  BaremetalSession,
  BaremetalTarget,
} from '../../contracts/baremetal-target.ts';
import { HarnessError, WaitTimeoutError } from '../../contracts/errors.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { describeReadback, missingDiskTools, readDiskImage } from '../../helpers/disk-image.ts';
import { formatEnvironment } from '../../helpers/environment.ts';
import { MarkerFailureError, MarkerOrderError, stripTerminalEscapes, waitForMarkers } from '../../helpers/markers.ts';
import { workRoot } from '../../helpers/proof-root.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import { bootGuest, type QemuGuest } from '../../helpers/qemu-guest.ts';
import { GuestExitedError } from '../../helpers/qemu-markers.ts';
import { QemuNodeHandle } from '../../helpers/qemu-node-handle.ts';
import {
  failureMarkers,
  installedMarkers,
  installerMarkers,
  markerOrderProperty,
  propertyOfFailure,
} from './baremetal-markers.ts';

export interface BaremetalProofOptions {
  /** the release-facing runner refuses TCG: without working KVM the lane is blocked */
  requireKvm?: boolean;
  /** per-marker wait (default 120 s under KVM, 300 s under TCG) */
  markerTimeoutMs?: number;
}

type Ctx = LaneContextWithWaits<BaremetalTarget>;

/**
 * The canonical bare-metal proof: boot the installer ISO for a control-plane node and a worker, phone home, fetch
 * the flake bundle, run Disko, install, reboot into the installed disk and wait for nix-agent to report the desired
 * system active; then log in over SSH. Harness state (consoles, deployer view, environment) goes to <proof>/state.
 */
export async function runBaremetalIsoProof(ctx: Ctx, options: BaremetalProofOptions = {}): Promise<void> {
  const probe = await ctx.step('probe the VM accelerator by booting a guest with KVM', async () => {
    const result = await probeAccelerator(await ctx.target.probeGuest());
    ctx.log(`vm_accelerator_mode=${result.mode}: ${result.reason}`);
    ctx.recordEnvironment({ vm_accelerator_mode: result.mode, vm_accelerator_probe: result.reason });
    return result;
  });
  if (options.requireKvm && probe.mode !== 'kvm') {
    await ctx.artifact('state/environment.txt', formatEnvironment({ vm_accelerator_mode: probe.mode }));
    ctx.block([`working /dev/kvm (${probe.reason})`]);
  }
  const timeoutMs = options.markerTimeoutMs ?? (probe.mode === 'kvm' ? 120_000 : 300_000);
  const stateDir = join(ctx.proofRoot, 'state');
  const runtimeDir = join(workRoot(), 'tmp', `baremetal-${randomBytes(4).toString('hex')}`);
  const guests: Array<QemuGuest | QemuNodeHandle> = [];
  const stopAll = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stopAll.signal]);
  let session: BaremetalSession | undefined;
  try {
    session = await ctx.step('build the installer ISO and flake bundle, start the deployer with install plans', () =>
      ctx.target.open({ accel: probe.mode, stateDir, runtimeDir }),
    );
    const s = session;
    const handles = await allOrAbort(
      s.nodes.map((node) =>
        ctx.step(`install ${node.name} (${node.configuration})`, () =>
          installNode(ctx, s, node, { timeoutMs, signal, guests }),
        ),
      ),
      stopAll,
    );
    await ctx.step('log in over SSH on the installed nodes', async () => {
      for (const [i, node] of s.nodes.entries()) await checkOverSsh(ctx, s, node, handles[i] as QemuNodeHandle);
    });
  } finally {
    stopAll.abort(new Error('bare-metal proof finished'));
    await Promise.all(guests.map((g) => Promise.resolve(g[Symbol.asyncDispose]()).catch(() => {})));
    await saveState(ctx, session, probe.mode);
    if (session) await Promise.resolve(session[Symbol.asyncDispose]()).catch(() => {});
    if (process.env.ULTRACLOUD_KEEP_CLUSTER !== '1') await rm(runtimeDir, { recursive: true, force: true });
  }
}

/** Like Promise.all, but the first failure aborts the siblings and waits for them before rethrowing. */
async function allOrAbort<T>(promises: Promise<T>[], abort: AbortController): Promise<T[]> {
  let first: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    promises.map((p) =>
      p.catch((error) => {
        if (!first) {
          first = { error };
          abort.abort(new Error('another node of the proof failed'));
        }
        throw error;
      }),
    ),
  );
  if (first) throw first.error;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

interface NodeRun {
  timeoutMs: number;
  signal: AbortSignal;
  guests: Array<QemuGuest | QemuNodeHandle>;
}

/**
 * A node's console, both boots (installer, then installed disk) appended to one serial log, followed as ONE strictly
 * ordered sequence of the seed's markers: a marker of the sequence seen before one that precedes it fails the wait at
 * once (MarkerOrderError), naming the marker that came early. Each step awaits its entry of that one wait.
 */
class NodeConsole {
  readonly sequence: readonly string[];
  readonly #hits: Array<PromiseWithResolvers<void>>;
  readonly #whole: Promise<unknown>;
  readonly #stop = new AbortController();

  constructor(node: BaremetalNode, serialLog: string, run: NodeRun) {
    this.sequence = [...installerMarkers, ...installedMarkers].map((m) => `${m}.${node.name}`);
    this.#hits = this.sequence.map(() => Promise.withResolvers<void>());
    this.#whole = waitForMarkers(serialLog, this.sequence, {
      failure: failureMarkers,
      strict: true,
      label: `${node.name} console`,
      // a backstop: each entry has its own budget (await)
      timeoutMs: run.timeoutMs * this.sequence.length,
      signal: AbortSignal.any([run.signal, this.#stop.signal]),
      onHit: (_, i) => this.#hits[i]?.resolve(),
    });
    this.#whole.catch(() => {});
  }

  /** Until entry `index` is seen; fails with the whole wait's failure, when `guest` exits first, or after timeoutMs. */
  async await(index: number, guest: QemuGuest, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const marker = this.sequence[index] as string;
    const done = new AbortController();
    const exited = guest.exited.then(async (exit) => {
      // a marker printed just before the exit is still heard: give the file follower a moment
      await sleep(500, undefined, { signal: done.signal });
      throw new GuestExitedError(
        guest.name,
        [marker],
        exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`,
      );
    });
    const timer = sleep(timeoutMs, undefined, { signal: AbortSignal.any([done.signal, signal]) }).then(() => {
      throw new WaitTimeoutError(`marker "${marker}" not seen after ${timeoutMs} ms on ${guest.serialLog}`, timeoutMs);
    });
    exited.catch(() => {});
    timer.catch(() => {});
    try {
      await Promise.race([
        (this.#hits[index] as PromiseWithResolvers<void>).promise,
        this.#whole.then(() => {}),
        exited,
        timer,
      ]);
    } finally {
      done.abort();
    }
  }

  [Symbol.dispose]() {
    this.#stop.abort(new Error('node console no longer followed'));
  }
}

async function installNode(ctx: Ctx, s: BaremetalSession, node: BaremetalNode, run: NodeRun) {
  const installerSpec = s.installerGuest(node);
  if (s.installedGuest(node).serialLog !== installerSpec.serialLog) {
    throw new HarnessError(`${node.name}: the installed boot's console must append to the installer's serial log`);
  }
  using consoleLog = new NodeConsole(node, installerSpec.serialLog, run);
  const expect = async (guest: QemuGuest, index: number) => {
    const marker = consoleLog.sequence[index] as string;
    try {
      await consoleLog.await(index, guest, run.timeoutMs, run.signal);
    } catch (err) {
      if (err instanceof MarkerFailureError) {
        // the marker is heard before its line ends (a serial console writes in pieces): give the rest of the line,
        // the guest's reason, a moment to arrive
        const line = await completedMarkerLine(guest.serialLog, err.marker);
        ctx.check(propertyOfFailure(err.marker), false, line ? `${err.message}; full line: ${line}` : err.message);
      }
      if (err instanceof MarkerOrderError) ctx.check(markerOrderProperty, false, err.message);
      if (err instanceof GuestExitedError)
        ctx.check(`${node.name} keeps running until "${marker}"`, false, err.message);
      throw err;
    }
    ctx.check(`console shows "${marker}" in the seed's order`, true);
  };
  const installer = await ctx.step('boot the installer ISO', async () => {
    const guest = await bootGuest(installerSpec);
    run.guests.push(guest);
    await expect(guest, 0);
    return guest;
  });
  await ctx.step('phone home to the deployer', async () => {
    await expect(installer, 1);
    const seen = await s.deployer.inspect(node.name);
    ctx.check('the deployer recorded the phone-home', seen?.phone_home != null);
    const disks = seen?.phone_home?.disks_by_id ?? [];
    ctx.check(`the installer reported ${node.diskById}`, disks.includes(node.diskById), disks.join(', '));
  });
  await ctx.step('download the flake bundle', () => expect(installer, 2));
  await ctx.step(`run Disko on ${node.diskById}`, () => expect(installer, 3));
  await ctx.step('install the system and reboot', async () => {
    await expect(installer, 4);
    await expect(installer, 5);
    const exit = await installer.waitForExit(60_000);
    ctx.check('the installer reboots (QEMU ends the ISO boot)', exit.code === 0, JSON.stringify(exit));
  });
  await ctx.step(`read back ${node.name}'s disks from their images`, () => checkDisks(ctx, s, node));
  const handle = new QemuNodeHandle({
    name: node.name,
    role: node.role,
    guest: s.installedGuest(node),
    ssh: s.ssh(node),
  });
  run.guests.push(handle);
  await ctx.step('boot the installed disk', async () => {
    await handle.power.start();
    await expect(handle.guest, 6);
  });
  await ctx.step('nix-agent reports the desired system active', async () => {
    await expect(handle.guest, 7);
    const desired = s.desiredSystem(node);
    await ctx.eventually(
      `the deployer observes ${node.name} active on the desired system`,
      async () => {
        const observed = (await s.deployer.inspect(node.name))?.observed;
        if (observed?.observed !== 'active' || observed.current_system !== desired) {
          throw new Error(`observed ${JSON.stringify(observed)}, desired ${desired}`);
        }
      },
      { timeoutMs: 30_000, signal: run.signal },
    );
  });
  return handle;
}

/**
 * The disks as the host sees them after the install, while no guest runs: the plan's by-id disk carries Disko's
 * table and one partition with its file system and label; every other disk of the node carries nothing at all.
 */
async function checkDisks(ctx: Ctx, s: BaremetalSession, node: BaremetalNode) {
  const missing = await missingDiskTools();
  if (missing.length > 0) ctx.block(missing);
  const disks = s.disks(node);
  const layout = s.diskLayout(node);
  const target = disks.find((d) => d.byId === node.diskById);
  ctx.check(
    `${node.name} has the disk its install plan names, ${node.diskById}`,
    target !== undefined,
    disks.map((d) => d.byId).join(', '),
  );
  const read = await readDiskImage((target as BaremetalDisk).path);
  const part = read.partitions.length === 1 ? read.partitions[0] : undefined;
  ctx.check(
    `${node.diskById} carries Disko's ${layout.table} partition table with one ${layout.fsType} partition labelled "${layout.label}"`,
    read.table === layout.table && part?.fsType === layout.fsType && part.label === layout.label,
    describeReadback(read),
  );
  for (const other of disks.filter((d) => d !== target)) {
    const untouched = await readDiskImage(other.path);
    ctx.check(
      `${node.name}'s other disk ${other.byId}, which the install plan does not name, has no partition table and no file system`,
      untouched.table === null && untouched.signature === null,
      describeReadback(untouched),
    );
  }
}

async function checkOverSsh(ctx: Ctx, s: BaremetalSession, node: BaremetalNode, handle: QemuNodeHandle) {
  const desired = s.desiredSystem(node);
  // the root file system's device (as the boot stage mounted it) and the serial of the disk it is on
  const out = await handle.succeed(
    [
      'cat /etc/ultracloud/system-id',
      'readlink /run/current-system',
      'hostname',
      'root=$(awk \'$2 == "/" { print $1 }\' /proc/mounts | tail -n 1); echo "$root"',
      'disk=$(echo "$root" | sed "s|^/dev/||; s|[0-9]*$||"); cat "/sys/block/$disk/serial"; echo',
      'cat /etc/ultracloud/bundle.sha256',
    ].join('; '),
    { timeoutMs: 30_000 },
  );
  const [systemId, current, hostname, rootDev, serial, bundleSha256] = out.split('\n').map((l) => l.trim());
  ctx.check(`${node.name} runs the desired system from its disk`, systemId === desired, `system-id ${systemId}`);
  ctx.check(`${node.name} activated the desired system`, current === desired, `current-system ${current}`);
  ctx.check(`${node.name} has its hostname`, hostname === node.name, `hostname ${hostname}`);
  ctx.check(
    `${node.name}'s root file system is on ${node.diskById}`,
    !!serial && node.diskById === `/dev/disk/by-id/virtio-${serial}`,
    `root ${rootDev} on the disk with serial ${serial}`,
  );
  // provenance: the deployer's own record of what it served, against the digest the installer left on the disk
  const fetches = (await s.deployer.bundleFetches()).filter((f) => f.node_id === node.name);
  ctx.check(
    `the deployer served ${node.name} its flake bundle exactly once`,
    fetches.length === 1,
    fetches.map((f) => `${f.at} ${f.node_class} sha256 ${f.sha256}`).join('; ') || 'no download recorded',
  );
  ctx.check(
    `${node.name} was installed from the bundle the deployer served it (the sha256 on its disk is the deployer's)`,
    fetches.length === 1 && bundleSha256 === fetches[0]?.sha256,
    `on disk ${bundleSha256 || 'none'}; served ${fetches.map((f) => f.sha256).join(', ') || 'nothing'}`,
  );
  // node.env holds the bootstrap token: root reads it (above), nobody else may
  const access = (await handle.succeed('stat -c "%a %u" /etc/ultracloud/node.env', { timeoutMs: 30_000 })).trim();
  const [mode, owner] = access.split(' ');
  ctx.check(
    `${node.name}'s /etc/ultracloud/node.env, which holds the bootstrap token, is owned by root and not readable by group or others`,
    owner === '0' && mode !== undefined && /^[0-7]+$/.test(mode) && (Number.parseInt(mode, 8) & 0o077) === 0,
    `mode ${mode}, owner uid ${owner}`,
  );
}

async function saveState(ctx: Ctx, s: BaremetalSession | undefined, mode: string) {
  if (!s) {
    await ctx.artifact('state/environment.txt', formatEnvironment({ vm_accelerator_mode: mode }));
    return;
  }
  for (const node of s.nodes) {
    const log = await readFile(s.installerGuest(node).serialLog, 'utf8').catch(() => '');
    await ctx.artifact(`state/console/${node.name}.log`, log);
  }
  const nodes = await s.deployer.nodes().catch((err) => ({ error: String(err) }));
  await ctx.artifact('state/deployer-nodes.json', nodes);
  await ctx.artifact('state/environment.txt', formatEnvironment({ vm_accelerator_mode: mode, ...s.facts }));
}

/** The console line holding `marker`, once it has ended (within `graceMs`); what there is of it otherwise. */
async function completedMarkerLine(serialLog: string, marker: string, graceMs = 2_000): Promise<string | null> {
  const needle = `ULTRACLOUD_MARKER ${marker}`;
  const deadline = Date.now() + graceMs;
  let last: string | null = null;
  for (;;) {
    const text = await readFile(serialLog, 'utf8').catch(() => '');
    const at = text.lastIndexOf(needle);
    if (at >= 0) {
      const end = text.slice(at).search(/\r|\n/);
      last = stripTerminalEscapes(end >= 0 ? text.slice(at, at + end) : text.slice(at)).trim();
      if (end >= 0) return last;
    }
    if (Date.now() >= deadline) return last;
    await sleep(100);
  }
}
