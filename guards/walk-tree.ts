import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Directories no guard ever reads: version control, dependencies, build outputs, nix result links. */
export const skippedDirectories = new Set(['.git', 'node_modules', 'target', 'result', '.direnv']);

export interface WalkOptions {
  /** called with a directory's path segments relative to the root; false skips the subtree */
  descend?: (segments: readonly string[]) => boolean;
  /** called with a file's relative path (`/`-separated); true keeps it */
  accept: (relativePath: string) => boolean;
}

/**
 * Relative paths of the files under `root` that `accept` keeps, sorted. Symbolic links are not followed, the
 * skipped directories are never entered, and `descend` prunes subtrees before they are read.
 */
export function walkFiles(root: string, options: WalkOptions): string[] {
  const found: string[] = [];
  const stack: string[][] = [[]];
  while (stack.length > 0) {
    const segments = stack.pop() as string[];
    const dir = segments.length === 0 ? root : join(root, ...segments);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (segments.length === 0) throw err;
      continue;
    }
    for (const entry of entries) {
      const name = entry.name;
      if (entry.isDirectory()) {
        if (skippedDirectories.has(name) || name.startsWith('result-')) continue;
        const child = [...segments, name];
        if (!options.descend || options.descend(child)) stack.push(child);
      } else if (entry.isFile()) {
        const rel = segments.length === 0 ? name : `${segments.join('/')}/${name}`;
        if (options.accept(rel)) found.push(rel);
      }
    }
  }
  return found.sort();
}
