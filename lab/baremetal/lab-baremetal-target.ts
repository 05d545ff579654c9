import { randomBytes } from 'node:crypto';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BaremetalNode,
  type BaremetalSession,
  type BaremetalTarget,
  canonicalBaremetalNodes,
} from '../../contracts/baremetal-target.ts';
import { HarnessError } from '../../contracts/errors.ts';
import { guestKernel } from '../../helpers/guest-image/guest-kernel.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import type { AcceleratorMode, GuestSpec } from '../../helpers/qemu-guest.ts';
import { assertPortFree, defaultSshForwards } from '../../helpers/qemu-hostfwd.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { type InstallerFault, installerFaults } from '../images/baremetal-faults.ts';
import {
  buildDiskBootImage,
  buildFlakeBundle,
  buildInstallerImage,
  diskoConfigPath,
  diskoLayout,
} from '../images/baremetal-images.ts';
import { dropbearFiles } from '../images/dropbear-files.ts';
import { startHostDeployer } from './host-deployer.ts';
import { baremetalSshKey } from './ssh-key.ts';

export interface LabBaremetalOptions {
  /** host ports forwarded to SSH on the installed nodes (default 22231 control, 22232 worker) */
  sshPorts?: { control: number; worker: number };
  /** deployer fault switches, e.g. refuse-phone-home */
  deployerFaults?: readonly string[];
  /** the installer is booted with this token instead of the deployer's (a node with a stale token) */
  installerToken?: string;
  /** publish this target_disk_by_id in the install plans instead of the disks QEMU attaches */
  targetDiskOverride?: string;
  /** installer fault switches (lab/images/baremetal-faults.ts), named on the installer's kernel command line */
  installerFaults?: readonly InstallerFault[];
  memoryMiB?: number;
}

const serialOf = (node: BaremetalNode) => node.diskById.replace('/dev/disk/by-id/virtio-', '');
/** every node also has a decoy disk, attached first (vda), that the install plan does not name */
const decoySerialOf = (node: BaremetalNode) => serialOf(node).replace(/-root$/, '-spare');

/** The reference lab's bare-metal target: busybox installer "ISO", host deployer, QEMU disks with serials. */
export function labBaremetalTarget(options: LabBaremetalOptions = {}): BaremetalTarget {
  return {
    name: 'reference-lab',
    probeGuest: probeGuestImage,
    open: (o) => openLabSession(options, o.accel, o.stateDir, o.runtimeDir),
  };
}

async function openLabSession(
  options: LabBaremetalOptions,
  accel: AcceleratorMode,
  stateDir: string,
  runtimeDir: string,
): Promise<BaremetalSession> {
  for (const fault of options.installerFaults ?? []) {
    if (!Object.hasOwn(installerFaults, fault)) {
      throw new HarnessError(
        `installerFaults: unknown installer fault "${fault}" (known: ${Object.keys(installerFaults).join(', ')})`,
      );
    }
  }
  const sshPorts = options.sshPorts ?? sshPortsFromEnv() ?? defaultSshForwards;
  await assertPortFree(sshPorts.control, 'SSH to the control-plane node (hostfwd)');
  await assertPortFree(sshPorts.worker, 'SSH to the worker node (hostfwd)');
  const key = baremetalSshKey();
  const nodes = canonicalBaremetalNodes;
  const [installer, diskBoot, bundle] = await Promise.all([
    buildInstallerImage(),
    buildDiskBootImage(),
    buildFlakeBundle(
      nodes.map((n) => n.configuration),
      await dropbearFiles(key.publicKey),
    ),
  ]);
  const token = randomBytes(24).toString('hex');
  registerSecret(token);
  if (options.installerToken) registerSecret(options.installerToken);
  const deployer = await startHostDeployer({
    stateDir: join(runtimeDir, 'deployer'),
    bootstrapToken: token,
    faults: options.deployerFaults ?? [],
  });
  try {
    const desired = new Map<string, string>();
    for (const node of nodes) {
      const system = bundle.systems.find((s) => s.configuration === node.configuration);
      if (!system) throw new Error(`bundle lacks ${node.configuration}`);
      desired.set(node.name, system.systemId);
      await deployer.port.putClass(node.configuration, {
        install_plan: {
          nixos_configuration: node.configuration,
          disko_config_path: diskoConfigPath(node.configuration),
          target_disk_by_id: options.targetDiskOverride ?? node.diskById,
        },
        desired_system: { target_system: system.systemId },
        bundle_path: bundle.path,
      });
      await deployer.port.preregister({ node_id: node.name, node_class: node.configuration, hostname: node.name });
    }
    await mkdir(join(runtimeDir, 'disks'), { recursive: true });
    await mkdir(join(stateDir, 'console'), { recursive: true });
    for (const node of nodes) {
      await writeFile(diskPath(runtimeDir, node), '').then(() => truncate(diskPath(runtimeDir, node), 256 * 2 ** 20));
      await writeFile(decoyPath(runtimeDir, node), '').then(() => truncate(decoyPath(runtimeDir, node), 64 * 2 ** 20));
    }
    const disks = (node: BaremetalNode) => [
      { byId: `/dev/disk/by-id/virtio-${decoySerialOf(node)}`, path: decoyPath(runtimeDir, node) },
      { byId: node.diskById, path: diskPath(runtimeDir, node) },
    ];
    const kernel = guestKernel().vmlinuz;
    const base = (node: BaremetalNode): Omit<GuestSpec, 'initrd' | 'append'> => ({
      name: node.name,
      kernel,
      accel,
      memoryMiB: options.memoryMiB ?? 384,
      serialLog: join(runtimeDir, 'console', `${node.name}.log`),
      drives: disks(node).map((d) => ({ path: d.path, serial: d.byId.replace('/dev/disk/by-id/virtio-', '') })),
      hostfwd: [{ hostPort: node.role === 'worker' ? sshPorts.worker : sshPorts.control, guestPort: 22 }],
      extraArgs: ['-smbios', `type=1,serial=${node.name}`],
    });
    const deployerUrl = `http://10.0.2.2:${deployer.endpoint.port}`;
    return {
      nodes,
      deployer: deployer.port,
      installerGuest: (node) => ({
        ...base(node),
        initrd: installer,
        append: [
          'console=ttyS0 quiet panic=-1',
          `ultracloud.deployer_url=${deployerUrl}`,
          `ultracloud.bootstrap_token=${options.installerToken ?? token}`,
          `ultracloud.hostname=${node.name}`,
          ...(options.installerFaults?.length ? [`ultracloud.faults=${options.installerFaults.join(',')}`] : []),
        ].join(' '),
      }),
      installedGuest: (node) => ({
        ...base(node),
        initrd: diskBoot,
        append: `console=ttyS0 quiet panic=-1 ultracloud.node_id=${node.name}`,
      }),
      disks,
      diskLayout: () => ({ ...diskoLayout }),
      ssh: (node) => ({
        host: '127.0.0.1',
        port: node.role === 'worker' ? sshPorts.worker : sshPorts.control,
        user: 'root',
        privateKey: key.privateKey,
      }),
      desiredSystem: (node) => desired.get(node.name) ?? '',
      facts: {
        installer_image: installer,
        disk_boot_image: diskBoot,
        flake_bundle: bundle.path,
        deployer_url: deployerUrl,
        ssh_forwards: `control=127.0.0.1:${sshPorts.control},worker=127.0.0.1:${sshPorts.worker}`,
      },
      [Symbol.asyncDispose]: () => deployer[Symbol.asyncDispose](),
    };
  } catch (err) {
    await deployer[Symbol.asyncDispose]();
    throw err;
  }
}

const diskPath = (runtimeDir: string, node: BaremetalNode) => join(runtimeDir, 'disks', `${node.name}.img`);
const decoyPath = (runtimeDir: string, node: BaremetalNode) => join(runtimeDir, 'disks', `${node.name}-spare.img`);

/** ULTRACLOUD_BAREMETAL_SSH_PORTS=<control>,<worker> moves the SSH forwards (e.g. beside a parallel run). */
export function sshPortsFromEnv(env: NodeJS.ProcessEnv = process.env): { control: number; worker: number } | undefined {
  const raw = env.ULTRACLOUD_BAREMETAL_SSH_PORTS;
  if (!raw) return undefined;
  const ports = raw.split(',').map((p) => Number(p.trim()));
  if (ports.length !== 2 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new HarnessError(`ULTRACLOUD_BAREMETAL_SSH_PORTS must be "<control>,<worker>" ports, got "${raw}"`);
  }
  return { control: ports[0] as number, worker: ports[1] as number };
}
