import { type Dirent, readdirSync } from 'node:fs';
import type { DirReach } from './glob.ts';

/** Directories no guard ever reads: version control, dependencies, build outputs, nix result links. */
export const skippedDirectories = new Set(['.git', 'node_modules', 'target', 'result', '.direnv']);

export interface WalkOptions {
  /** called with a directory's path segments relative to the root; false skips the subtree */
  descend?: (segments: readonly string[]) => boolean;
  /** called with a file's relative path (`/`-separated); true keeps it */
  accept: (relativePath: string) => boolean;
}

/** Whether a walk enters a directory of this name at all. */
export function skippedDirectory(name: string): boolean {
  return skippedDirectories.has(name) || name.startsWith('result-');
}

/**
 * Relative paths of the files under `root` that `accept` keeps, sorted. Symbolic links are not followed, the
 * skipped directories are never entered, and `descend` prunes subtrees before they are read.
 */
export function walkFiles(root: string, options: WalkOptions): string[] {
  const found: string[] = [];
  walk(root, [], options, found);
  return found.sort();
}

function walk(root: string, segments: string[], options: WalkOptions, found: string[]): void {
  const prefix = segments.length === 0 ? '' : `${segments.join('/')}/`;
  let entries: Dirent[];
  try {
    entries = readdirSync(segments.length === 0 ? root : `${root}/${prefix}`, { withFileTypes: true });
  } catch (err) {
    if (segments.length === 0) throw err;
    return;
  }
  for (const entry of entries) {
    const name = entry.name;
    if (entry.isFile()) {
      const rel = prefix + name;
      if (options.accept(rel)) found.push(rel);
    } else if (entry.isDirectory() && !skippedDirectory(name)) {
      const child = [...segments, name];
      if (!options.descend || options.descend(child)) walk(root, child, options, found);
    }
  }
}

/** Where a walker that cannot prune by itself should start: whole subtrees, and single files. */
export interface WalkFrontier {
  /** directories (relative, `/`-separated) under which nothing is pruned: every file below may be a candidate */
  readonly dirs: string[];
  /** the files `accept` keeps in the directories above them, which were read to find the subtrees */
  readonly files: string[];
}

/**
 * The frontier of a pruned walk: it reads the directories the globs reach only in part (`some`), keeping the files
 * `accept` keeps, and stops at each directory they reach in full (`all`), which it names without reading it. Another
 * walker started on the frontier's directories and files sees every file walkFiles would keep and none of the
 * pruned subtrees. Like walkFiles: symbolic links not followed, skipped directories never entered, an unreadable
 * directory below the root skipped.
 */
export function walkFrontier(
  root: string,
  options: { reach: (segments: readonly string[]) => DirReach; accept: (relativePath: string) => boolean },
): WalkFrontier {
  const frontier: WalkFrontier = { dirs: [], files: [] };
  if (options.reach([]) === 'all') {
    frontier.dirs.push('');
    return frontier;
  }
  const visit = (segments: string[]) => {
    const prefix = segments.length === 0 ? '' : `${segments.join('/')}/`;
    let entries: Dirent[];
    try {
      entries = readdirSync(segments.length === 0 ? root : `${root}/${prefix}`, { withFileTypes: true });
    } catch (err) {
      if (segments.length === 0) throw err;
      return;
    }
    for (const entry of entries) {
      const name = entry.name;
      if (entry.isFile()) {
        if (options.accept(prefix + name)) frontier.files.push(prefix + name);
      } else if (entry.isDirectory() && !skippedDirectory(name)) {
        const child = [...segments, name];
        const reach = options.reach(child);
        if (reach === 'all') frontier.dirs.push(prefix + name);
        else if (reach === 'some') visit(child);
      }
    }
  };
  visit([]);
  return frontier;
}
