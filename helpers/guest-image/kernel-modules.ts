import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { HarnessError } from '../../contracts/errors.ts';

/** The virtio drivers Debian ships as modules, in the order a guest needs them for disk and network. */
export const virtioModules = ['virtio_pci', 'virtio_blk', 'virtio_net'];
/** ext4 (which also mounts ext2) and the checksum it asks for through a soft dependency. */
export const ext4Modules = ['crc32c_generic', 'ext4'];

const indexCache = new Map<string, Promise<Map<string, string>>>();

/** name (with "-" folded to "_") → path relative to the release's module tree */
function moduleIndex(modulesDir: string): Promise<Map<string, string>> {
  let index = indexCache.get(modulesDir);
  if (!index) {
    index = (async () => {
      const map = new Map<string, string>();
      for (const entry of await readdir(modulesDir, { recursive: true, withFileTypes: true })) {
        const m = /^(.+)\.ko(\.xz|\.zst|\.gz)?$/.exec(entry.name);
        if (entry.isFile() && m?.[1]) {
          map.set(m[1].replace(/-/g, '_'), relative(modulesDir, join(entry.parentPath, entry.name)));
        }
      }
      return map;
    })();
    indexCache.set(modulesDir, index);
  }
  return index;
}

async function modinfoField(path: string, field: string): Promise<string[]> {
  const { stdout } = await execa('modinfo', ['-F', field, path]);
  return stdout
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s && !s.endsWith(':'));
}

/**
 * Modules to load, dependencies first (what modprobe would do), computed on the host with kmod's modinfo.
 * Built-in modules are skipped; a soft dependency that names no module file (an alias) is skipped too.
 * Returns paths relative to the module tree.
 */
export async function resolveModuleLoadOrder(modulesDir: string, names: readonly string[]): Promise<string[]> {
  const index = await moduleIndex(modulesDir);
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = async (raw: string, required: boolean): Promise<void> => {
    const name = raw.replace(/-/g, '_');
    const rel = index.get(name);
    if (!rel) {
      if (required) throw new HarnessError(`kernel module "${raw}" not found under "${modulesDir}"`);
      return;
    }
    if (order.includes(rel) || visiting.has(name)) return;
    visiting.add(name);
    const path = join(modulesDir, rel);
    for (const dep of await modinfoField(path, 'softdep')) await visit(dep, false);
    for (const dep of await modinfoField(path, 'depends')) await visit(dep, true);
    order.push(rel);
  };
  for (const name of names) await visit(name, true);
  return order;
}
