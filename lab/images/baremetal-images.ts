import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { imageCacheDir } from '../../helpers/guest-image/guest-kernel.ts';
import { buildInitramfs, type ImageFile } from '../../helpers/guest-image/initramfs.ts';
import { ext4Modules, virtioModules } from '../../helpers/guest-image/kernel-modules.ts';

const script = (name: string) => readFileSync(fileURLToPath(new URL(`baremetal/${name}`, import.meta.url)), 'utf8');
const shared = (): Record<string, ImageFile> => ({
  '/etc/ultracloud/common.sh': { content: script('common.sh') },
  '/etc/udhcpc.script': { content: script('udhcpc.script'), mode: 0o755 },
});

/** The live installer initramfs (the lab's ultracloud-iso): virtio disk and network, ext4, the installer /init. */
export function buildInstallerImage(): Promise<string> {
  return buildInitramfs({
    name: 'ultracloud-installer',
    init: script('installer-init.sh'),
    files: shared(),
    modules: [...virtioModules, ...ext4Modules],
  });
}

/**
 * The boot stage that starts an installed disk: it finds the disk by serial (ultracloud.root_serial=), mounts it and
 * switch_roots into the /init found there. It carries no part of the installed system.
 */
export function buildDiskBootImage(): Promise<string> {
  return buildInitramfs({
    name: 'ultracloud-disk-boot',
    init: script('disk-boot-init.sh'),
    files: shared(),
    modules: ['virtio_pci', 'virtio_blk', ...ext4Modules],
  });
}

export interface InstalledSystem {
  /** the nixosConfiguration name, e.g. baremetal-qemu-control-plane */
  configuration: string;
  /** the system's store path on the installed disk (what the deployer publishes as desired_system.target_system) */
  systemId: string;
  tarball: string;
}

/** One installable system: a root file system tarball with busybox, the network modules, init and nix-agent. */
export async function buildInstalledSystem(configuration: string, extra: Record<string, ImageFile> = {}) {
  const files: Record<string, ImageFile> = {
    ...shared(),
    '/usr/bin/nix-agent': { content: script('nix-agent.sh'), mode: 0o755 },
    '/etc/acpi/PWRF/00000080': { content: '#!/bin/sh\nsync\npoweroff -f\n', mode: 0o755 },
    ...extra,
  };
  const modules = [...virtioModules, 'button', 'evdev'];
  const init = script('system-init.sh');
  const digest = createHash('sha256')
    .update(JSON.stringify({ configuration, init, files, modules }))
    .digest('hex')
    .slice(0, 32);
  const systemId = `/nix/store/${digest}-nixos-system-${configuration}`;
  const tarball = await buildInitramfs({
    name: `system-${configuration}`,
    format: 'tar',
    init,
    files: {
      ...files,
      '/etc/ultracloud/system-id': { content: `${systemId}\n` },
      [`${systemId}/configuration`]: { content: `${configuration}\n` },
    },
    modules,
  });
  return { configuration, systemId, tarball } satisfies InstalledSystem;
}

export interface FlakeBundle {
  path: string;
  systems: InstalledSystem[];
}

/** The layout the lab's Disko config asks for: an msdos table, one partition, this file system and label. */
export const diskoLayout = { table: 'dos', fsType: 'ext2', label: 'nixos' } as const;

/** Disko's part, as a node class's disko_config_path in the bundle points at it. */
export const diskoConfig = `DISKO_TABLE=msdos\nDISKO_FSTYPE=${diskoLayout.fsType}\nDISKO_LABEL=${diskoLayout.label}\n`;

/**
 * The flake bundle the deployer hands the installer: disko configs per node class and one system per
 * nixosConfiguration, cached by content.
 */
export async function buildFlakeBundle(
  configurations: readonly string[],
  extra: Record<string, ImageFile> = {},
): Promise<FlakeBundle> {
  const systems = await Promise.all(configurations.map((c) => buildInstalledSystem(c, extra)));
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 1, diskoConfig, systems: systems.map((s) => [s.configuration, s.tarball]) }))
    .digest('hex')
    .slice(0, 16);
  const path = join(imageCacheDir(), `flake-bundle-${key}.tar.gz`);
  if (existsSync(path)) return { path, systems };
  const stage = `${path}.${process.pid}.stage`;
  await rm(stage, { recursive: true, force: true });
  await mkdir(join(stage, 'systems'), { recursive: true });
  await mkdir(join(stage, 'nix/disko'), { recursive: true });
  const lines = systems.map((s) => `    ${s.configuration} = "${s.systemId}";`).join('\n');
  await writeFile(join(stage, 'flake.nix'), `{\n  # lab flake bundle\n  systems = {\n${lines}\n  };\n}\n`);
  for (const s of systems) {
    await copyFile(s.tarball, join(stage, 'systems', `${s.configuration}.tar.gz`));
    await writeFile(join(stage, 'nix/disko', `${s.configuration}.sh`), diskoConfig);
  }
  const tmp = `${path}.${process.pid}.tmp`;
  await execa('bash', ['-c', 'tar -C "$1" --sort=name --owner=0 --group=0 -czf "$2" .', '_', stage, tmp]);
  await rename(tmp, path);
  await rm(stage, { recursive: true, force: true });
  return { path, systems };
}

/** Where a configuration's disko config sits inside the bundle. */
export const diskoConfigPath = (configuration: string) => `nix/disko/${configuration}.sh`;
