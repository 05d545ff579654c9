import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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
import { type GuestConfig, GuestServiceList, guestServiceListFile, guestServiceListPath } from './guest-config.ts';
import { quickstartGuest, quickstartShares } from './guest-image.ts';

const hostname = 'single-node-quickstart';

/**
 * Faults of the lab's quickstart guest, for the lane's negative tests (ULTRACLOUD_LAB_QUICKSTART_FAULTS, comma
 * separated): omit:<service> (the guest does not run it), manifest-extra:<component> (the shipped manifest names
 * it), nic-only:<service> (it listens on the guest's NIC only, so it answers through the host forward but not
 * inside the guest), stall:<service> (it is started but never gets ready: it listens nowhere and the guest's service
 * list keeps saying starting), no-boot-marker (the guest never prints node.boot).
 */
export function parseQuickstartFaults(text: string | undefined): GuestConfig['faults'] & { noBootMarker: boolean } {
  const faults = {
    omit: [] as string[],
    manifestExtra: [] as string[],
    nicOnly: [] as string[],
    stall: [] as string[],
    noBootMarker: false,
  };
  for (const item of (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [kind, arg] = item.split(':') as [string, string | undefined];
    if (kind === 'no-boot-marker' && !arg) faults.noBootMarker = true;
    else if (kind === 'omit' && arg) faults.omit.push(arg);
    else if (kind === 'manifest-extra' && arg) faults.manifestExtra.push(arg);
    else if (kind === 'nic-only' && arg) faults.nicOnly.push(arg);
    else if (kind === 'stall' && arg) faults.stall.push(arg);
    else {
      throw new HarnessError(
        `ULTRACLOUD_LAB_QUICKSTART_FAULTS: unknown fault "${item}" (omit:<service>, manifest-extra:<component>, nic-only:<service>, stall:<service>, no-boot-marker)`,
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
        const detail = `${where} failed: ${cause ?? (err as Error).message}`;
        const settled = await settledEvidence(
          handle,
          logDir,
          service,
          ports[service] as number,
          forwards[service] as number,
        );
        return settled ? { healthy: false, detail, settled } : { healthy: false, detail };
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
    // the guest's /init prints its login prompt last, after the boot marker, the mounts, SSH and the services
    afterBootMarker: { line: `${hostname} login:`, what: 'its login prompt' },
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

/** Whether a health answer is a 200 with {"status":"ok"}. */
async function answersHealthy(url: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = await res.text();
    const status = z.object({ status: z.string() }).safeParse(safeJson(body));
    return { ok: res.status === 200 && status.success && status.data.status === 'ok', detail: `${res.status}` };
  } catch (err) {
    return { ok: false, detail: (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message };
  }
}

const loopbackListen = /^(127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]|\[::ffff:127\.0\.0\.1\]|\[::1\]):\d+$/;

/**
 * The guest's own word that `service` will not answer on its loopback as the guest stands, or undefined while it
 * may still be on its way. The service list the guest's supervisor writes (read from the log share, no call into the
 * guest): no such service while every service it runs is ready; or the service ready by its supervisor's word, and
 * the guest's kernel (its socket table, read over SSH only then) has it listening on other addresses than the
 * loopback only, where it answers healthy through the host forward to the guest's NIC.
 */
async function settledEvidence(
  handle: VmRunnerNodeHandle,
  logDir: string,
  service: QuickstartService,
  port: number,
  forward: number,
): Promise<string | undefined> {
  const list = GuestServiceList.safeParse(
    safeJson(await readFile(join(logDir, guestServiceListFile), 'utf8').catch(() => '')),
  );
  if (!list.success) return undefined;
  const runs = list.data.services;
  const own = runs.find((s) => s.name === service);
  if (!own) {
    if (runs.some((s) => s.state !== 'ready')) return undefined;
    return `the guest's service list (${guestServiceListPath}) has no ${service}: it runs ${runs.map((s) => s.name).join(', ')}, each ready`;
  }
  if (own.state !== 'ready') return undefined;
  const r = await handle.exec(`ss -Hltn 'sport = :${port}'`, { timeoutMs: 20_000 }).catch(() => undefined);
  if (r?.exitCode !== 0) return undefined;
  const listening = r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[3])
    .filter((a): a is string => Boolean(a));
  if (!listening.length || listening.some((a) => loopbackListen.test(a))) return undefined;
  const nic = await answersHealthy(`http://127.0.0.1:${forward}/health`);
  if (!nic.ok) return undefined;
  return `the guest's service list says ${service} is ready, and the guest's socket table has port ${port} listened on only at ${listening.join(', ')} (not the loopback), where ${service} answers GET /health through the forward to the guest's NIC → ${nic.detail}`;
}
