import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockedError } from '../../contracts/errors.ts';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';
import { buildMonorepoIso } from '../../targets/monorepo/baremetal-iso.ts';
import { copyReferenceFlake, patchFile } from './fixtures/flake-copy.ts';

/** One file out of the ISO's file system (xorriso's osirrox), as bytes. */
async function isoFile(iso: string, path: string, dir: string): Promise<Buffer> {
  const dest = join(dir, path.replaceAll('/', '_'));
  await execa('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', path, dest], { stderr: 'ignore' });
  return readFile(dest);
}

/** One member of a gzip'd newc initramfs, as text ('' when absent). */
async function initramfsMember(cpioGz: string, member: string): Promise<string> {
  const r = await execa('bash', ['-c', 'gzip -dc "$1" | cpio -i --to-stdout --quiet "$2"', '_', cpioGz, member], {
    reject: false,
  });
  return r.stdout;
}

/**
 * The reference flake's nixosConfigurations.ultracloud-iso.config.system.build.isoImage is a real installer ISO:
 * El Torito-bootable with isolinux, the guest kernel, and an installer initramfs built from the lab installer's own
 * scripts, with no bootstrap parameter baked in.
 */
describe("the reference flake's ultracloud-iso", { timeout: 600_000 }, () => {
  let iso: string;
  let dir: string;
  beforeAll(async () => {
    iso = await buildMonorepoIso(join(projectRoot, 'lab'));
    dir = await workTempDir('reference-iso-');
  }, 600_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is an El Torito-bootable ISO that boots isolinux', async () => {
    expect(iso).toMatch(/^\/nix\/store\/[a-z0-9]{32}-ultracloud-iso\/iso\/ultracloud-iso\.iso$/);
    const r = await execa('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], { all: true });
    expect(r.all).toMatch(/El Torito boot img :\s+1\s+BIOS\s+y\s+none/);
    expect(r.all).toContain('El Torito img path :   1  /isolinux/isolinux.bin');
    const cfg = (await isoFile(iso, '/isolinux/isolinux.cfg', dir)).toString();
    expect(cfg).toMatch(/KERNEL \/boot\/vmlinuz/);
    expect(cfg).toMatch(/initrd=\/boot\/installer\.cpio\.gz/);
    // no bootstrap parameter on the ISO: the deployer and the token come from the machine it boots on
    expect(cfg).not.toMatch(/ultracloud\.(deployer_url|bootstrap_token)/);
  });

  it("carries the guest kernel and an installer initramfs made from the lab installer's scripts", async () => {
    const kernel = await isoFile(iso, '/boot/vmlinuz', dir);
    expect(kernel.equals(await readFile('/var/lib/ultracloud-proof/guest-kernel/vmlinuz'))).toBe(true);
    await isoFile(iso, '/boot/installer.cpio.gz', dir);
    const initrd = join(dir, '_boot_installer.cpio.gz');
    const script = (name: string) => readFile(join(projectRoot, 'lab/images/baremetal', name), 'utf8');
    expect(`${await initramfsMember(initrd, 'init')}\n`).toBe(await script('installer-init.sh'));
    expect(`${await initramfsMember(initrd, 'etc/ultracloud/common.sh')}\n`).toBe(await script('common.sh'));
    const order = await initramfsMember(initrd, 'etc/modules.order');
    for (const m of ['virtio_pci', 'virtio_blk', 'virtio_net', 'ext4', 'qemu_fw_cfg']) {
      expect(order, m).toMatch(new RegExp(`/${m}\\.ko`));
    }
    const list = (await execa('bash', ['-c', 'gzip -dc "$1" | cpio -t --quiet', '_', initrd])).stdout.split('\n');
    for (const f of ['bin/busybox', 'usr/sbin/extlinux', 'usr/share/ultracloud/boot/mbr.bin'])
      expect(list).toContain(f);
    expect(list).toContain('usr/share/ultracloud/boot/disk-boot.cpio.gz');
  });

  it('fails to build, naming the missing guest kernel, when the kernel is not where the build reads it', async () => {
    const copy = await copyReferenceFlake();
    try {
      await patchFile(copy, 'nix/lib.nix', '"/var/lib/ultracloud-proof/guest-kernel"', '"/nonexistent/guest-kernel"');
      const err = await buildMonorepoIso(copy).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BlockedError);
      expect(String((err as BlockedError).missing)).toContain(
        'missing the guest kernel /nonexistent/guest-kernel/vmlinuz (scripts/setup.sh provides it)',
      );
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
