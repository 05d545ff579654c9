import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { HarnessError } from '../../contracts/errors.ts';
import { guestKernel, imageCacheDir } from './guest-kernel.ts';
import { resolveModuleLoadOrder } from './kernel-modules.ts';

/** A file placed in the image: copied from the host, or written from text. */
export type ImageFile = { source: string; mode?: number } | { content: string; mode?: number };

export interface InitramfsSpec {
  /** cache name, e.g. "installer" */
  name: string;
  /** the /init shell script (run by busybox sh) */
  init: string;
  /** extra files by absolute guest path */
  files?: Record<string, ImageFile>;
  /** kernel modules to carry; their load order (dependencies first) is written to /etc/modules.order */
  modules?: readonly string[];
  /** static busybox to install with all its applet links (default /bin/busybox from busybox-static) */
  busybox?: string;
  /** cpio.gz for an initramfs (default), tar.gz for a root file system unpacked onto a disk */
  format?: 'cpio' | 'tar';
}

export const defaultBusybox = '/bin/busybox';

const packers = {
  cpio: 'set -o pipefail; cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "$2"',
  tar: 'set -o pipefail; tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner -cf - . | gzip -1 > "$2"',
};

/**
 * Build a gzip'd newc initramfs (or root file system tarball) from a spec, cached under the image cache by the content hash of every input
 * (script, files, module files, busybox, kernel release), so a repeated build is a stat. Returns its path.
 */
export async function buildInitramfs(spec: InitramfsSpec): Promise<string> {
  const kernel = guestKernel();
  const busybox = spec.busybox ?? defaultBusybox;
  if (!existsSync(busybox)) throw new HarnessError(`busybox not found at "${busybox}" (install busybox-static)`);
  const modules = await resolveModuleLoadOrder(kernel.modulesDir, spec.modules ?? []);
  const hash = createHash('sha256');
  const format = spec.format ?? 'cpio';
  hash.update(JSON.stringify({ v: 1, name: spec.name, format, init: spec.init, kernel: kernel.version, modules }));
  hash.update(await readFile(busybox));
  for (const [path, file] of Object.entries(spec.files ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`\0${path}\0${file.mode ?? ''}\0`);
    hash.update('source' in file ? await readFile(file.source) : file.content);
  }
  for (const rel of modules) hash.update(await readFile(join(kernel.modulesDir, rel)));
  const out = join(imageCacheDir(), `${spec.name}-${hash.digest('hex').slice(0, 16)}.${format}.gz`);
  if (existsSync(out)) return out;

  const stage = `${out}.${process.pid}.stage`;
  await rm(stage, { recursive: true, force: true });
  try {
    await populate(stage, spec, busybox, kernel.modulesDir, kernel.version, modules);
    const tmp = `${out}.${process.pid}.tmp`;
    await execa('bash', ['-c', packers[format], '_', stage, tmp]);
    await rename(tmp, out);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return out;
}

async function populate(
  stage: string,
  spec: InitramfsSpec,
  busybox: string,
  modulesDir: string,
  kver: string,
  modules: string[],
): Promise<void> {
  for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'run', 'mnt', 'root']) {
    await mkdir(join(stage, dir), { recursive: true });
  }
  await copyFile(busybox, join(stage, 'bin/busybox'));
  await chmod(join(stage, 'bin/busybox'), 0o755);
  const { stdout } = await execa(busybox, ['--list-full']);
  for (const applet of stdout.split('\n').filter(Boolean)) {
    if (applet === 'bin/busybox' || existsSync(join(stage, applet))) continue;
    await mkdir(dirname(join(stage, applet)), { recursive: true });
    await symlink('/bin/busybox', join(stage, applet));
  }
  await writeFile(join(stage, 'init'), spec.init, { mode: 0o755 });
  for (const rel of modules) {
    const dest = join(stage, 'lib/modules', kver, rel);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(join(modulesDir, rel), dest);
  }
  const order = modules.map((rel) => `/lib/modules/${kver}/${rel}`).join('\n');
  await writeFile(join(stage, 'etc/modules.order'), order ? `${order}\n` : '');
  for (const [path, file] of Object.entries(spec.files ?? {})) {
    const dest = join(stage, path);
    await mkdir(dirname(dest), { recursive: true });
    await rm(dest, { force: true });
    if ('source' in file) await copyFile(file.source, dest);
    else await writeFile(dest, file.content);
    await chmod(dest, file.mode ?? ('source' in file ? 0o755 : 0o644));
  }
}
