import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  type BaremetalDeployerBinding,
  type BaremetalNode,
  type BaremetalSession,
  type BaremetalTarget,
  canonicalBaremetalNodes,
  type DiskLayout,
} from '../../contracts/baremetal-target.ts';
import { BlockedError, HarnessError } from '../../contracts/errors.ts';
import type { GuestSpec } from '../../contracts/guest.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { offlineNixFlags } from '../../helpers/nix-flags.ts';
import { assertPortFree, defaultSshForwards } from '../../helpers/qemu-hostfwd.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { generateSshKeyPair } from '../../helpers/ssh-keys.ts';

export const isoAttribute = 'nixosConfigurations.ultracloud-iso.config.system.build.isoImage';
const toplevelAttribute = (configuration: string) =>
  `nixosConfigurations.${configuration}.config.system.build.toplevel`;

/** The deployer endpoint an ISO boot falls back to (no kernel parameters): QEMU's user-NAT host, a fixed port. */
export const isoDeployerFallback = { address: '10.0.2.2', port: 8088 } as const;
/** fw_cfg names the ISO's installer and the installed systems read */
export const fwCfgBootstrapToken = 'opt/ultracloud/bootstrap_token';
export const fwCfgSshAuthorizedKey = 'opt/ultracloud/ssh_authorized_key';

async function nixBuild(flake: string, attribute: string): Promise<string> {
  const res = await execa('nix', [...offlineNixFlags, 'build', '--no-link', '--json', `${flake}#${attribute}`], {
    reject: false,
    timeout: Number(process.env.ULTRACLOUD_VM_BUILD_TIMEOUT_MS ?? 7_200_000),
    maxBuffer: 64 * 1024 * 1024,
  });
  // nix's error lines and the builder's own last words ("> ..."), which name what the build missed
  const why = `${res.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('error:') || l.startsWith('> '))
    .join(' ')
    .slice(0, 600);
  if (res.exitCode !== 0)
    throw new BlockedError([`${flake}#${attribute} (nix build: ${why || `exit ${res.exitCode}`})`]);
  return (JSON.parse(res.stdout) as Array<{ outputs: { out: string } }>)[0]?.outputs.out ?? '';
}

/** Build the flake's own installer ISO offline; a flake that cannot build it blocks the lane, naming the attribute. */
export async function buildMonorepoIso(flake: string): Promise<string> {
  const out = await nixBuild(flake, isoAttribute);
  const isoDir = join(out, 'iso');
  const iso = existsSync(isoDir) ? readdirSync(isoDir).find((f) => f.endsWith('.iso')) : undefined;
  if (!iso) throw new BlockedError([`${flake}#${isoAttribute} built ${out}, which holds no iso/*.iso`]);
  return join(isoDir, iso);
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface InstallableSystem {
  configuration: string;
  /** the toplevel's store path: the desired system */
  toplevel: string;
  rootfs: string;
  disko: string;
}

/**
 * The layout a configuration's disko.sh asks for (`DISKO_TABLE`, `DISKO_FSTYPE`, `DISKO_LABEL` lines), named as
 * sfdisk and blkid name what they read back (an msdos table is sfdisk's "dos").
 */
export function diskoLayoutOf(text: string): DiskLayout {
  const field = (name: string) => text.match(new RegExp(`^${name}=(\\S+)$`, 'm'))?.[1];
  const table = field('DISKO_TABLE');
  const fsType = field('DISKO_FSTYPE');
  const label = field('DISKO_LABEL');
  if (!table || !fsType || !label) throw new HarnessError(`disko.sh lacks DISKO_TABLE, DISKO_FSTYPE or DISKO_LABEL`);
  return { table: table === 'msdos' ? 'dos' : table, fsType, label };
}

/** A configuration's toplevel, which must hold what the installer puts on the disk (rootfs.tar.gz, disko.sh). */
async function buildInstallableSystem(flake: string, configuration: string): Promise<InstallableSystem> {
  const toplevel = await nixBuild(flake, toplevelAttribute(configuration));
  const rootfs = join(toplevel, 'rootfs.tar.gz');
  const disko = join(toplevel, 'disko.sh');
  const lacking = [rootfs, disko].filter((p) => !existsSync(p));
  if (lacking.length) {
    throw new BlockedError([
      `${flake}#${toplevelAttribute(configuration)} as an installable system (${lacking.join(', ')} missing)`,
    ]);
  }
  return { configuration, toplevel, rootfs, disko };
}

/** The flake bundle the deployer serves: each configuration's root file system and disk layout, from its toplevel. */
async function assembleBundle(dir: string, systems: readonly InstallableSystem[]): Promise<string> {
  const stage = join(dir, 'stage');
  await mkdir(join(stage, 'systems'), { recursive: true });
  await mkdir(join(stage, 'nix/disko'), { recursive: true });
  const lines = systems.map((s) => `    ${s.configuration} = "${s.toplevel}";`).join('\n');
  await writeFile(join(stage, 'flake.nix'), `{\n  systems = {\n${lines}\n  };\n}\n`);
  for (const s of systems) {
    await copyFile(s.rootfs, join(stage, 'systems', `${s.configuration}.tar.gz`));
    await copyFile(s.disko, join(stage, 'nix/disko', `${s.configuration}.sh`));
  }
  const path = join(dir, 'flake-bundle.tar.gz');
  await execa('bash', ['-c', 'tar -C "$1" --sort=name --owner=0 --group=0 -czf "$2" .', '_', stage, path]);
  return path;
}

function sshPortsFromEnv(env: NodeJS.ProcessEnv = process.env): { control: number; worker: number } {
  const raw = env.ULTRACLOUD_BAREMETAL_SSH_PORTS;
  if (!raw) return defaultSshForwards;
  const ports = raw.split(',').map((p) => Number(p.trim()));
  if (ports.length !== 2 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new HarnessError(`ULTRACLOUD_BAREMETAL_SSH_PORTS must be "<control>,<worker>" ports, got "${raw}"`);
  }
  return { control: ports[0] as number, worker: ports[1] as number };
}

export interface MonorepoBaremetalOptions {
  /** the target's own deployer (its bindings module's `baremetalDeployer`); without it the lane is blocked */
  deployer?: BaremetalDeployerBinding;
  /** the private key root logs in with on the installed nodes (descriptor vm.sshKey); else one made for the run */
  sshKey?: string;
  memoryMiB?: number;
}

/**
 * The monorepo's bare-metal target: its own `nixosConfigurations.ultracloud-iso` ISO booted from CD with no kernel
 * parameter (the installer falls back to 10.0.2.2, which QEMU maps to the target's deployer; the bootstrap token
 * arrives through fw_cfg), its `baremetal-qemu-*` toplevels as the bundle's systems, and the installed disk booted
 * by its own boot loader. Never the lab's installer or images.
 */
export function monorepoBaremetalTarget(flake: string, options: MonorepoBaremetalOptions = {}): BaremetalTarget {
  return {
    name: `ultracloud-monorepo:${flake}`,
    probeGuest: probeGuestImage,
    async open({ accel, runtimeDir }) {
      const iso = await buildMonorepoIso(flake);
      if (!options.deployer) {
        throw new BlockedError([
          `a deployer the nodes booted from ${iso} can phone home to (the monorepo's deployer for ${flake}: a bindings module exporting baremetalDeployer)`,
        ]);
      }
      const nodes = canonicalBaremetalNodes;
      const sshPorts = sshPortsFromEnv();
      await assertPortFree(sshPorts.control, 'SSH to the control-plane node (hostfwd)');
      await assertPortFree(sshPorts.worker, 'SSH to the worker node (hostfwd)');
      const systems = await Promise.all(
        [...new Set(nodes.map((n) => n.configuration))].map((c) => buildInstallableSystem(flake, c)),
      );
      await mkdir(join(runtimeDir, 'bundle'), { recursive: true });
      await mkdir(join(runtimeDir, 'disks'), { recursive: true });
      await mkdir(join(runtimeDir, 'console'), { recursive: true });
      const bundlePath = await assembleBundle(join(runtimeDir, 'bundle'), systems);
      const isoSha256 = await sha256Of(iso);

      const token = randomBytes(24).toString('hex');
      registerSecret(token);
      const tokenFile = join(runtimeDir, 'bootstrap-token');
      await writeFile(tokenFile, token, { mode: 0o600 });
      const key = options.sshKey
        ? { privateKey: readFileSync(options.sshKey), publicKey: readFileSync(`${options.sshKey}.pub`, 'utf8') }
        : (() => {
            const k = generateSshKeyPair('ultracloud-baremetal-iso');
            return { privateKey: k.private, publicKey: k.public };
          })();
      const keyFile = join(runtimeDir, 'ssh-authorized-key');
      await writeFile(keyFile, `${key.publicKey.trim()}\n`);

      const systemOf = (node: BaremetalNode) => systems.find((s) => s.configuration === node.configuration);
      const deployer = await options.deployer({
        stateDir: join(runtimeDir, 'deployer'),
        bootstrapToken: token,
        bundlePath,
        classes: systems.map((s) => ({
          name: s.configuration,
          installPlan: {
            nixos_configuration: s.configuration,
            disko_config_path: `nix/disko/${s.configuration}.sh`,
            target_disk_by_id: nodes.find((n) => n.configuration === s.configuration)?.diskById ?? '',
          },
          desiredSystem: s.toplevel,
        })),
        nodes: nodes.map((n) => ({ node_id: n.name, node_class: n.configuration, hostname: n.name })),
      });
      const diskPath = (node: BaremetalNode) => join(runtimeDir, 'disks', `${node.name}.img`);
      for (const node of nodes) {
        await writeFile(diskPath(node), '');
        await truncate(diskPath(node), 256 * 2 ** 20);
      }
      const sshPort = (node: BaremetalNode) => (node.role === 'worker' ? sshPorts.worker : sshPorts.control);
      const base = (node: BaremetalNode): GuestSpec => ({
        name: node.name,
        accel,
        memoryMiB: options.memoryMiB ?? 384,
        serialLog: join(runtimeDir, 'console', `${node.name}.log`),
        drives: [{ path: diskPath(node), serial: node.diskById.replace('/dev/disk/by-id/virtio-', '') }],
        hostfwd: [{ hostPort: sshPort(node), guestPort: 22 }],
        guestfwd: [
          {
            guestAddress: isoDeployerFallback.address,
            guestPort: isoDeployerFallback.port,
            hostPort: deployer.endpoint.port,
          },
        ],
        // slirp refuses a guestfwd on its own address: it moves to 10.0.2.1, leaving 10.0.2.2 to the deployer
        userNetHost: '10.0.2.1',
        extraArgs: ['-smbios', `type=1,serial=${node.name}`],
      });
      return {
        nodes,
        deployer: deployer.port,
        installerGuest: (node) => ({
          ...base(node),
          cdrom: iso,
          boot: 'cdrom',
          fwCfg: [{ name: fwCfgBootstrapToken, file: tokenFile }],
        }),
        installedGuest: (node) => ({
          ...base(node),
          boot: 'disk',
          fwCfg: [{ name: fwCfgSshAuthorizedKey, file: keyFile }],
        }),
        disks: (node) => [{ byId: node.diskById, path: diskPath(node) }],
        diskLayout: (node) => diskoLayoutOf(readFileSync(systemOf(node)?.disko ?? '', 'utf8')),
        ssh: (node) => ({ host: '127.0.0.1', port: sshPort(node), user: 'root', privateKey: key.privateKey }),
        desiredSystem: (node) => systemOf(node)?.toplevel ?? '',
        facts: {
          installer_iso: iso,
          installer_iso_sha256: isoSha256,
          flake: flake,
          flake_bundle: bundlePath,
          installed_systems: systems.map((s) => `${s.configuration}=${s.toplevel}`).join(','),
          deployer_url: `http://${isoDeployerFallback.address}:${isoDeployerFallback.port} (guestfwd to 127.0.0.1:${deployer.endpoint.port})`,
          ssh_forwards: `control=127.0.0.1:${sshPorts.control},worker=127.0.0.1:${sshPorts.worker}`,
        },
        [Symbol.asyncDispose]: () => deployer[Symbol.asyncDispose](),
      } satisfies BaremetalSession;
    },
  };
}
