import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { HarnessError } from '../../../contracts/errors.ts';
import {
  type QuickstartBootOptions,
  type QuickstartGuest,
  type QuickstartService,
  type QuickstartTarget,
  type QuickstartVm,
  quickstartServices,
} from '../../../contracts/quickstart-target.ts';
import { imageCacheDir } from '../../../helpers/guest-image/guest-kernel.ts';
import { probeGuestImage } from '../../../helpers/guest-image/probe-image.ts';
import { projectNode } from '../../../helpers/node-version.ts';
import { projectRoot, workSocketPath } from '../../../helpers/proof-root.ts';
import { freeLoopbackPort } from '../../../helpers/qemu-hostfwd.ts';
import { type SshTunnel, sshTunnel } from '../../../helpers/ssh.ts';
import { buildVmRunners } from '../../../helpers/vm-runner/build.ts';
import { recordKeptQuickstartVm } from '../../../helpers/vm-runner/kept.ts';
import { type VmRunnerNode, VmRunnerNodeHandle } from '../../../helpers/vm-runner/node.ts';
import { quitVmRunner } from '../../../helpers/vm-runner/process.ts';
import type { ServiceName } from '../../../profiles/descriptor-schema.ts';
import { labServicePorts } from '../../../profiles/descriptors/reference-lab.ts';
import { createServicePorts } from '../bindings/index.ts';
import type { GuestConfig } from './guest-config.ts';
import { quickstartGuest, quickstartShares } from './guest-image.ts';

const hostname = 'single-node-quickstart';

/**
 * Faults of the lab's quickstart guest, for the lane's negative tests (ULTRACLOUD_LAB_QUICKSTART_FAULTS, comma
 * separated): omit:<service> (the guest does not run it), manifest-extra:<component> (the shipped manifest names
 * it), nic-only:<service> (it listens on the guest's NIC only, so it answers through the host forward but not
 * inside the guest), no-boot-marker (the guest never prints node.boot).
 */
export function parseQuickstartFaults(text: string | undefined): GuestConfig['faults'] & { noBootMarker: boolean } {
  const faults = { omit: [] as string[], manifestExtra: [] as string[], nicOnly: [] as string[], noBootMarker: false };
  for (const item of (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [kind, arg] = item.split(':') as [string, string | undefined];
    if (kind === 'no-boot-marker' && !arg) faults.noBootMarker = true;
    else if (kind === 'omit' && arg) faults.omit.push(arg);
    else if (kind === 'manifest-extra' && arg) faults.manifestExtra.push(arg);
    else if (kind === 'nic-only' && arg) faults.nicOnly.push(arg);
    else {
      throw new HarnessError(
        `ULTRACLOUD_LAB_QUICKSTART_FAULTS: unknown fault "${item}" (omit:<service>, manifest-extra:<component>, nic-only:<service>, no-boot-marker)`,
      );
    }
  }
  return faults;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The reference flake's single-node quickstart: its own VM runner, booting a guest that runs the five services. */
export function labQuickstartTarget(): QuickstartTarget {
  const flake = join(projectRoot, 'lab');
  return {
    name: 'reference-lab',
    flake,
    probeGuest: () => probeGuestImage(),
    boot: (options) => bootQuickstart(flake, options),
  };
}

async function bootQuickstart(flake: string, options: QuickstartBootOptions): Promise<QuickstartVm> {
  const faults = parseQuickstartFaults(process.env.ULTRACLOUD_LAB_QUICKSTART_FAULTS);
  const [runner] = await buildVmRunners([
    { name: hostname, attribute: `${flake}#nixosConfigurations.${hostname}.config.system.build.vm` },
  ]);
  const guest = await quickstartGuest();
  const stateDir = options.stateDir;
  const configDir = join(stateDir, 'config');
  const logDir = join(stateDir, 'guest-logs');
  await mkdir(configDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  const ports = Object.fromEntries(quickstartServices.map((s) => [s, labServicePorts[s] as number]));
  const guestConfig: GuestConfig = { ports, faults };
  await writeFile(join(configDir, 'guest.json'), `${JSON.stringify(guestConfig, null, 2)}\n`);
  await writeFile(join(configDir, 'project'), projectRoot);
  await writeFile(join(configDir, 'node'), projectNode());

  const nodeCache = join(imageCacheDir(), 'quickstart-node-compile-cache');
  await mkdir(nodeCache, { recursive: true });
  const sshPort = await freeLoopbackPort();
  const forwards: Record<string, number> = {};
  for (const s of quickstartServices) forwards[s] = await freeLoopbackPort();
  const share = (tag: string, path: string) =>
    `-virtfs local,path=${path},mount_tag=${tag},security_model=none,readonly=on`;
  const serialLog = join(stateDir, 'serial.log');
  const qmpSocket = workSocketPath(`qs-${randomBytes(4).toString('hex')}.qmp`);
  const qemuOpts = [
    `-display none -serial file:${serialLog} -qmp unix:${qmpSocket},server=on,wait=off -accel ${options.accel}`,
    share(quickstartShares.usr, '/usr'),
    share(quickstartShares.store, '/nix/store'),
    share(quickstartShares.project, projectRoot),
    share(quickstartShares.config, configDir),
    `-virtfs local,path=${nodeCache},mount_tag=${quickstartShares.nodeCache},security_model=none`,
    // the services' logs, written by the guest, readable from the host (the lane's evidence)
    `-virtfs local,path=${logDir},mount_tag=${quickstartShares.logs},security_model=none`,
  ];
  const netOpts = [
    `hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    ...quickstartServices.map((s) => `hostfwd=tcp:127.0.0.1:${forwards[s]}-:${ports[s]}`),
  ];
  const node: VmRunnerNode = {
    name: hostname,
    role: 'control-plane',
    runner: runner as string,
    env: {
      QEMU_OPTS: qemuOpts.join(' '),
      QEMU_NET_OPTS: netOpts.join(','),
      QEMU_KERNEL_PARAMS: `console=ttyS0${faults.noBootMarker ? ' ultracloud.fault=no-boot-marker' : ''}`,
      NIX_DISK_IMAGE: join(stateDir, `${hostname}.qcow2`),
      ULTRACLOUD_LAB_GUEST_KERNEL: guest.kernel,
      ULTRACLOUD_LAB_GUEST_INITRD: guest.initrd,
    },
    qmpSocket,
    serialLog,
    runnerLog: join(stateDir, 'runner.log'),
    pidFile: join(stateDir, 'qemu.pid'),
    diskImage: join(stateDir, `${hostname}.qcow2`),
    ssh: { host: '127.0.0.1', port: sshPort, user: 'root' },
    sshKeyPath: guest.sshKeyPath,
    services: Object.fromEntries(
      quickstartServices.map((s) => [s, { host: '127.0.0.1', port: forwards[s] as number, scheme: 'http' as const }]),
    ),
  };
  // the VM dies with this process unless it is kept on purpose
  const keepable = process.env.ULTRACLOUD_QUICKSTART_KEEP_VM === '1';
  const handle = new VmRunnerNodeHandle(node, { dieWithParent: !keepable });
  await handle.power.start();
  // every guest call is a connection the guest's SSH server opens to the guest's own loopback
  const tunnels = new Map<QuickstartService, SshTunnel>();
  for (const s of quickstartServices)
    tunnels.set(s, await sshTunnel(handle.sshTarget, '127.0.0.1', ports[s] as number));
  const inGuest = (service: ServiceName) => {
    const t = tunnels.get(service as QuickstartService);
    if (!t) throw new HarnessError(`the quickstart guest runs no ${service}`);
    return { host: t.host, port: t.port, scheme: 'http' as const };
  };
  const guestPorts = createServicePorts({
    targetName: `${hostname} (in the guest)`,
    instances: (service: ServiceName) =>
      (quickstartServices as readonly string[]).includes(service)
        ? [{ node: hostname, endpoint: inGuest(service) }]
        : [],
    on: (_node: string, service: ServiceName) => inGuest(service),
  });
  const guestView: QuickstartGuest = {
    health: async (service: QuickstartService) => {
      const e = inGuest(service);
      const where = `GET http://127.0.0.1:${ports[service]}/health in the guest`;
      try {
        const res = await fetch(`http://${e.host}:${e.port}/health`, { signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        const status = z.object({ status: z.string() }).safeParse(safeJson(body));
        return {
          healthy: res.status === 200 && status.success && status.data.status === 'ok',
          detail: `${where} → ${res.status} ${body.trim().slice(0, 200)}`,
        };
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        return { healthy: false, detail: `${where} failed: ${cause ?? (err as Error).message}` };
      }
    },
    manifest: async () => {
      const res = await handle.exec('cat /etc/ultracloud/product-surface.json');
      if (res.exitCode !== 0) throw new HarnessError(`no manifest in the guest: ${res.stderr.trim()}`);
      return JSON.parse(res.stdout) as unknown;
    },
    ports: guestPorts as unknown as QuickstartGuest['ports'],
    unbound: () => [],
  };
  const stop = async () => {
    for (const t of tunnels.values()) await t.close();
    await quitVmRunner(node);
    await rm(qmpSocket, { force: true });
  };
  const stopCommand = 'npx ucproof cluster stop';
  return {
    node: handle,
    hostname,
    serialLog,
    accelerator: { mode: options.accel, reason: 'probed by the lane' },
    guest: guestView,
    reach: {
      ssh: `ssh -i ${guest.sshKeyPath} -p ${sshPort} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1`,
      serialLog,
      stop: stopCommand,
    },
    facts: { execution_model: 'nixos-vm-runner', quickstart_runner: runner as string },
    stop,
    keep: async () => {
      if (!keepable)
        throw new HarnessError('the quickstart VM can be kept only when booted with ULTRACLOUD_QUICKSTART_KEEP_VM=1');
      await recordKeptQuickstartVm(node);
      // the VM outlives this process; the tunnels into it do not
      for (const t of tunnels.values()) await t.close();
    },
  };
}
