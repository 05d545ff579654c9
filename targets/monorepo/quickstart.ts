import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockedError, HarnessError } from '../../contracts/errors.ts';
import { unboundPort } from '../../contracts/ports/unbound.ts';
import {
  type QuickstartBootOptions,
  type QuickstartGuest,
  type QuickstartService,
  type QuickstartTarget,
  type QuickstartVm,
  quickstartServices,
} from '../../contracts/quickstart-target.ts';
import { runNix } from '../../guards/nix-command.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { freeLoopbackPort } from '../../helpers/qemu-hostfwd.ts';
import { buildVmRunners } from '../../helpers/vm-runner/build.ts';
import { recordKeptQuickstartVm } from '../../helpers/vm-runner/kept.ts';
import { type VmRunnerNode, VmRunnerNodeHandle } from '../../helpers/vm-runner/node.ts';
import { quitVmRunner } from '../../helpers/vm-runner/process.ts';
import type { TargetDescriptor } from '../../profiles/descriptor-schema.ts';

const configuration = 'single-node-quickstart';
/** Where the seed's single-node system ships its machine-readable product surface. */
const manifestPath = '/etc/ultracloud/product-surface.json';

/**
 * The monorepo's single-node quickstart: its own `nixosConfigurations.single-node-quickstart.config.system.build.vm`
 * booted by its generated runner, SSH as root with ULTRACLOUD_VM_SSH_KEY (or the descriptor's vm.sshKey). Inside
 * the guest, health is the service's systemd unit (`systemctl is-active <service>.service`, as on every NixOS node)
 * and the manifest is read from the shipped file; the services' own operations need the checkout's bindings, and
 * without them the lane ends blocked naming each.
 */
export function monorepoQuickstartTarget(flake: string, descriptor: TargetDescriptor | null): QuickstartTarget {
  return {
    name: descriptor?.name ?? 'ultracloud-monorepo',
    flake,
    probeGuest: () => probeGuestImage(),
    boot: (options) => boot(flake, descriptor, options),
  };
}

async function boot(
  flake: string,
  descriptor: TargetDescriptor | null,
  options: QuickstartBootOptions,
): Promise<QuickstartVm> {
  const sshKeyPath = descriptor?.vm?.sshKey || process.env.ULTRACLOUD_VM_SSH_KEY;
  if (!sshKeyPath) {
    throw new BlockedError([
      `ULTRACLOUD_VM_SSH_KEY: the private key root logs in with on ${configuration} of ${flake}`,
    ]);
  }
  if (!existsSync(sshKeyPath)) throw new HarnessError(`ULTRACLOUD_VM_SSH_KEY: no such file "${sshKeyPath}"`);
  const attr = `${flake}#nixosConfigurations.${configuration}`;
  // the VM runners build offline (helpers/vm-runner/build.ts); the hostname is read the same way
  const host = await runNix('eval', ['--raw', `${attr}.config.networking.hostName`], { offline: true });
  if (host.exitCode !== 0) throw new HarnessError(`cannot evaluate ${attr}.config.networking.hostName: ${host.stderr}`);
  const hostname = host.stdout.trim() || configuration;
  const [runner] = await buildVmRunners([{ name: configuration, attribute: `${attr}.config.system.build.vm` }]);
  await mkdir(options.stateDir, { recursive: true });
  const runtime = await workTempDir('quickstart-vm-');
  const serialLog = join(options.stateDir, 'serial.log');
  const qmpSocket = join(runtime, 'qmp.sock');
  const sshPort = await freeLoopbackPort();
  const node: VmRunnerNode = {
    name: hostname,
    role: 'control-plane',
    runner: runner as string,
    env: {
      QEMU_OPTS: `-display none -serial file:${serialLog} -qmp unix:${qmpSocket},server=on,wait=off -accel ${options.accel}`,
      QEMU_NET_OPTS: `hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
      QEMU_KERNEL_PARAMS: 'console=ttyS0',
      NIX_DISK_IMAGE: join(options.stateDir, `${configuration}.qcow2`),
      ...(descriptor?.vm?.runnerEnvironment ?? {}),
    },
    qmpSocket,
    serialLog,
    runnerLog: join(options.stateDir, 'runner.log'),
    pidFile: join(options.stateDir, 'qemu.pid'),
    diskImage: join(options.stateDir, `${configuration}.qcow2`),
    ssh: { host: '127.0.0.1', port: sshPort, user: 'root' },
    sshKeyPath,
    services: {},
  };
  const handle = new VmRunnerNodeHandle(node, { dieWithParent: process.env.ULTRACLOUD_QUICKSTART_KEEP_VM !== '1' });
  await handle.power.start();
  const name = descriptor?.name ?? 'ultracloud-monorepo';
  const ports = Object.fromEntries(
    quickstartServices.map((s) => [s, unboundPort(s, name)]),
  ) as QuickstartGuest['ports'];
  const lastLook = new Map<QuickstartService, number>();
  const guest: QuickstartGuest = {
    health: async (service: QuickstartService) => {
      const r = await handle.exec(`systemctl is-active ${service}.service`, { timeoutMs: 20_000 });
      const state = r.stdout.trim() || r.stderr.trim();
      const healthy = r.exitCode === 0 && state === 'active';
      const detail = `systemctl is-active ${service}.service → ${state}`;
      if (healthy) return { healthy, detail };
      // each look is an SSH session into the guest: at most one per service every 15 s, not one per probe
      const last = lastLook.get(service) ?? Number.NEGATIVE_INFINITY;
      if (r.exitCode !== 127 && performance.now() - last < 15_000) return { healthy, detail };
      lastLook.set(service, performance.now());
      const settled = await settledUnit(handle, service, r);
      return settled ? { healthy, detail, settled } : { healthy, detail };
    },
    manifest: async () => {
      const r = await handle.exec(`cat ${manifestPath}`, { timeoutMs: 20_000 });
      if (r.exitCode !== 0) return { error: `${manifestPath}: ${r.stderr.trim() || `exit ${r.exitCode}`}` };
      try {
        return JSON.parse(r.stdout) as unknown;
      } catch {
        return { error: `${manifestPath} is not JSON` };
      }
    },
    ports,
    // no bindings of the checkout reach into the guest yet: every service operation is unbound
    unbound: (operations) => [...operations],
  };
  return {
    node: handle,
    hostname,
    serialLog,
    accelerator: { mode: options.accel, reason: 'probed by the lane' },
    guest,
    reach: {
      ssh: `ssh -i ${sshKeyPath} -p ${sshPort} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1`,
      serialLog,
      stop: 'npx ucproof cluster stop',
    },
    facts: { execution_model: 'nixos-vm-runner', quickstart_runner: runner as string },
    stop: async () => {
      await quitVmRunner(node);
      await rm(runtime, { recursive: true, force: true });
    },
    keep: async () => {
      if (process.env.ULTRACLOUD_QUICKSTART_KEEP_VM !== '1')
        throw new HarnessError('the quickstart VM can be kept only when booted with ULTRACLOUD_QUICKSTART_KEEP_VM=1');
      await recordKeptQuickstartVm(node);
    },
  };
}

/**
 * The guest's own word that `<service>.service` will not become active as the guest stands, or undefined while it
 * may: the guest has no systemctl at all (exit 127), or systemd has finished starting the system (is-system-running
 * is neither initializing nor starting) and has no such unit (LoadState=not-found) or the unit failed.
 */
async function settledUnit(
  handle: VmRunnerNodeHandle,
  service: QuickstartService,
  isActive: { exitCode: number; stderr: string },
): Promise<string | undefined> {
  if (isActive.exitCode === 127) return `the guest has no systemctl: ${isActive.stderr.trim() || 'exit 127'}`;
  const unit = `${service}.service`;
  const r = await handle
    .exec(`systemctl show -p LoadState -p ActiveState -p SubState ${unit}; systemctl is-system-running || true`, {
      timeoutMs: 20_000,
    })
    .catch(() => undefined);
  if (r?.exitCode !== 0) return undefined;
  const props = Object.fromEntries(
    r.stdout
      .split('\n')
      .map((l) => l.trim().split('='))
      .filter((kv) => kv.length === 2),
  ) as Record<string, string>;
  const system = r.stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (!system || system === 'initializing' || system === 'starting') return undefined;
  if (props.LoadState === 'not-found')
    return `the guest's systemd has no ${unit} (LoadState=not-found) and has finished starting (${system})`;
  if (props.ActiveState === 'failed')
    return `${unit} failed (SubState=${props.SubState ?? '?'}) and the guest's systemd has finished starting (${system})`;
  return undefined;
}
