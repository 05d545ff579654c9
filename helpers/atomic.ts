import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, symlink } from 'node:fs/promises';
import { dirname, relative } from 'node:path';

/** Write a file so that readers see the old content or the new, never a truncated one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Point `link` at `target` (relative), replacing any previous link atomically. */
export async function replaceSymlink(target: string, link: string): Promise<void> {
  const tmp = `${link}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await symlink(relative(dirname(link), target), tmp);
  await rename(tmp, link);
}
