import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * On-disk sizes (allocated blocks, as `du` counts them) of a tree and of every directory down to `depth` levels
 * below it, from one walk. Keys are `/`-separated paths relative to the root ('' is the root). Symbolic links
 * count as themselves and are not followed; a hard-linked file counts once.
 */
export function diskUsage(root: string, depth = 2): Map<string, number> {
  const sizes = new Map<string, number>();
  const seen = new Set<string>();
  const visit = (dir: string, rel: string, level: number): number => {
    let total = blocksOf(dir, seen);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return total;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) total += visit(path, childRel, level + 1);
      else total += blocksOf(path, seen);
    }
    if (level <= depth) sizes.set(rel, total);
    return total;
  };
  visit(root, '', 0);
  return sizes;
}

function blocksOf(path: string, seen: Set<string>): number {
  try {
    const st = lstatSync(path, { bigint: false });
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return 0;
      seen.add(key);
    }
    return st.blocks * 512;
  } catch {
    return 0;
  }
}

/** A size for people: KiB, MiB or GiB with a precision that shows small changes. */
export function formatSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}
