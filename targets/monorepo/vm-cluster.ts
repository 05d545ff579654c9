import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { BlockedError, HarnessError } from '../../contracts/errors.ts';
import type { ClusterInfo } from '../../contracts/target.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { workRoot as defaultWorkRoot, workSocketPath } from '../../helpers/proof-root.ts';
import { type AcceleratorProbe, probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import { assertPortFree } from '../../helpers/qemu-hostfwd.ts';
import { eventually } from '../../helpers/retry.ts';
import { sshExec } from '../../helpers/ssh.ts';
import { buildVmRunners } from '../../helpers/vm-runner/build.ts';
import { type VmRunnerNode, VmRunnerNodeHandle } from '../../helpers/vm-runner/node.ts';
import { quitVmRunner } from '../../helpers/vm-runner/process.ts';
import { ultracloudMonorepoDescriptor } from '../../profiles/descriptors/ultracloud-monorepo.ts';
import { nodeForwards, qemuNetOpts, shiftHostPorts } from './vm-runner-ports.ts';

export interface BootVmNodesOptions {
  /** which nodes of the harness topology to boot (default: all six) */
  nodes?: readonly string[];
  /** state disks, consoles and environment.txt go under <workRoot>/test-cluster/state (default: work/) */
  workRoot?: string;
  /** move every host port by this much (default 0: the descriptor's ports) */
  hostPortOffset?: number;
  /** how long each node may take to print its boot marker or login prompt and answer SSH (default 600 s) */
  bootTimeoutMs?: number;
  /** the private key root logs in with on the VMs (default: ULTRACLOUD_VM_SSH_KEY) */
  sshKeyPath?: string;
  /** extra environment for every `run-<node>-vm` (what a flake's runners document they read) */
  runnerEnvironment?: Record<string, string>;
}

export interface VmCluster {
  info: ClusterInfo;
  nodes: VmRunnerNodeHandle[];
  accelerator: AcceleratorProbe;
  stop(): Promise<void>;
}

/**
 * Boot the monorepo target's nodes from its generated NixOS VM runners: build every
 * `nix/test-cluster#nixosConfigurations.<node>.config.system.build.vm`, probe the accelerator, start each
 * `run-<node>-vm` with QEMU_OPTS (no display, serial to the node's console file, QMP socket, -accel),
 * QEMU_NET_OPTS (loopback forwards for SSH and every service), NIX_DISK_IMAGE under the work root, and wait for
 * each console's boot marker (or login prompt) and SSH. SSH uses ULTRACLOUD_VM_SSH_KEY (a private key file);
 * without one the target is blocked (BlockedError).
 */
export async function bootVmNodes(flake: string, options: BootVmNodesOptions = {}): Promise<VmCluster> {
  const root = resolve(options.workRoot ?? defaultWorkRoot());
  const stateRoot = join(root, 'test-cluster', 'state');
  const full = ultracloudMonorepoDescriptor({ flake, workRoot: root });
  const wanted = options.nodes ?? full.nodes.map((n) => n.name);
  for (const name of wanted) {
    if (!full.nodes.some((n) => n.name === name)) throw new HarnessError(`the harness topology has no node "${name}"`);
  }
  const specs = full.nodes
    .filter((n) => wanted.includes(n.name))
    .map((n) => shiftHostPorts(n, options.hostPortOffset ?? 0));
  for (const n of specs) {
    for (const f of nodeForwards(n)) await assertPortFree(f.hostPort, `${n.name} guest port ${f.guestPort}`);
  }
  const sshKeyPath = options.sshKeyPath || process.env.ULTRACLOUD_VM_SSH_KEY;
  if (!sshKeyPath) {
    throw new BlockedError([`ULTRACLOUD_VM_SSH_KEY: the private key root logs in with on the VMs of ${flake}`]);
  }
  if (!existsSync(sshKeyPath)) throw new HarnessError(`ULTRACLOUD_VM_SSH_KEY: no such file "${sshKeyPath}"`);
  const runners = await buildVmRunners(
    specs.map((n) => ({ name: n.name, attribute: (n.launcher as { attribute: string }).attribute })),
  );
  const accelerator = await probeAccelerator(await probeGuestImage());
  const runId = randomBytes(3).toString('hex');
  const vmNodes = specs.map((n, i): VmRunnerNode => {
    const stateDir = join(stateRoot, n.name);
    const serialLog = join(stateDir, 'serial.log');
    const qmpSocket = workSocketPath(`vm-${runId}-${n.name}.qmp`, root);
    const diskImage = join(stateDir, `${n.name}.qcow2`);
    const qemuOpts = [
      `-display none -serial file:${serialLog} -qmp unix:${qmpSocket},server=on,wait=off -accel ${accelerator.mode}`,
      ...(n.launcher.kind === 'nixos-vm-runner' ? n.launcher.qemuOpts : []),
    ];
    const env: Record<string, string> = {
      QEMU_OPTS: qemuOpts.join(' '),
      QEMU_NET_OPTS: qemuNetOpts(nodeForwards(n)),
      QEMU_KERNEL_PARAMS: 'console=ttyS0',
      NIX_DISK_IMAGE: diskImage,
    };
    Object.assign(env, options.runnerEnvironment);
    return {
      name: n.name,
      role: n.role,
      runner: runners[i] as string,
      env,
      qmpSocket,
      serialLog,
      runnerLog: join(stateDir, 'runner.log'),
      pidFile: join(stateDir, 'qemu.pid'),
      diskImage,
      ssh: n.ssh,
      sshKeyPath,
      services: n.services,
    };
  });
  const handles = vmNodes.map((n) => new VmRunnerNodeHandle(n, { dieWithParent: true }));
  const stop = async () => {
    await Promise.all(vmNodes.map((n) => quitVmRunner(n)));
  };
  try {
    await mkdir(stateRoot, { recursive: true });
    await writeFile(
      join(stateRoot, 'environment.txt'),
      `vm_accelerator_mode=${accelerator.mode}\nvm_accelerator_reason=${accelerator.reason}\nexecution_model=nixos-vm-runner\n`,
    );
    process.env.ULTRACLOUD_VM_ACCELERATOR_MODE = accelerator.mode;
    const timeoutMs = options.bootTimeoutMs ?? 600_000;
    await Promise.all(handles.map((h) => h.power.start()));
    await Promise.all(handles.map((h) => waitForVmBoot(h, timeoutMs)));
  } catch (err) {
    await stop();
    throw err;
  }
  const descriptor = { ...full, nodes: specs };
  const info: ClusterInfo = {
    descriptor,
    target: {
      name: descriptor.name,
      kind: descriptor.kind,
      flake: resolve(flake),
      gitRevision: await gitRevision(flake),
      bindings: null,
    },
    state: { vmNodes, vmAcceleratorMode: accelerator.mode },
    facts: { execution_model: 'nixos-vm-runner', vm_accelerator_mode: accelerator.mode },
  };
  return { info, nodes: handles, accelerator, stop };
}

/** The node's console shows it booted (its node.boot marker or a login prompt) and SSH runs a command. */
export async function waitForVmBoot(node: VmRunnerNodeHandle, timeoutMs: number): Promise<void> {
  const booted = new RegExp(`ULTRACLOUD_MARKER node\\.boot\\.${node.name}\\b|^${node.name} login:`, 'm');
  const started = performance.now();
  await eventually(
    async () => {
      const text = await readFile(node.console.path, 'utf8').catch(() => '');
      if (!booted.test(text)) throw new Error(`no boot marker or login prompt yet in "${node.console.path}"`);
    },
    { timeoutMs, intervalMs: 200, maxIntervalMs: 1_000, what: `${node.name} console boot marker or login prompt` },
  );
  // slirp accepts a forwarded connection before the guest listens: wait for sshd's banner before SSH proper
  await eventually(() => sshBanner(node.node.ssh.host, node.node.ssh.port), {
    timeoutMs: Math.max(1_000, timeoutMs - (performance.now() - started)),
    intervalMs: 200,
    maxIntervalMs: 1_000,
    what: `${node.name} SSH banner on ${node.node.ssh.host}:${node.node.ssh.port}`,
  });
  const left = Math.max(1_000, timeoutMs - (performance.now() - started));
  const res = await sshExec(node.sshTarget, 'true', { connectTimeoutMs: left, timeoutMs: left });
  if (res.exitCode !== 0) throw new HarnessError(`SSH "true" on ${node.name} exited ${res.exitCode}: ${res.stderr}`);
}

/** Resolve with the first line an SSH server sends (`SSH-2.0-…`); reject when the connection ends without it. */
function sshBanner(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let text = '';
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(text.split('\n')[0] ?? '');
    };
    socket.setTimeout(5_000, () => done(new Error(`no SSH banner from ${host}:${port} within 5 s`)));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
      if (text.includes('\n')) done(text.startsWith('SSH-') ? undefined : new Error(`not an SSH banner: ${text}`));
    });
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(new Error(`${host}:${port} closed before an SSH banner`)));
  });
}

/** The checkout's git revision (`git rev-parse HEAD`), with `-dirty` when it has changes; null outside git. */
export async function gitRevision(dir: string): Promise<string | null> {
  const rev = await execa('git', ['-C', dir, 'rev-parse', 'HEAD'], { reject: false, timeout: 10_000 });
  if (rev.exitCode !== 0) return null;
  const dirty = await execa('git', ['-C', dir, 'status', '--porcelain'], { reject: false, timeout: 10_000 });
  return `${rev.stdout.trim()}${dirty.exitCode === 0 && dirty.stdout.trim() ? '-dirty' : ''}`;
}
