import { spawnSync } from 'node:child_process';
import {
  completenessMarkers,
  helperPattern,
  serverStubs,
  toExtendedRegex,
  unfinishedWording,
} from '../guards/surface-rules.ts';
import { skippedDirectories } from '../guards/walk-tree.ts';
import { monorepoGuardPaths } from '../profiles/guard-paths.ts';

/** The baselines: `grep -rEn` and `rg -n` over the whole tree with the guard's patterns as one POSIX ERE. */
export const grepPattern = toExtendedRegex([
  ...unfinishedWording,
  ...serverStubs,
  ...completenessMarkers,
  ...monorepoGuardPaths.archivedHelpers.map(helperPattern),
]);

export function grepArgs(root: string): string[] {
  return ['-rEn', ...[...skippedDirectories].map((d) => `--exclude-dir=${d}`), '-e', grepPattern, root];
}

/** Run the baseline and return the matching lines it printed. */
export function grepSurface(root: string): string[] {
  const r = spawnSync('grep', grepArgs(root), { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`grep exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** `rg -n` with the same pattern and the same skipped directories (ripgrep's defaults otherwise). */
export function rgArgs(root: string): string[] {
  return ['-n', ...[...skippedDirectories].map((d) => `--glob=!${d}/`), '-e', grepPattern, root];
}

/** Run `rg -n` and return the matching lines it printed. */
export function rgSurface(root: string): string[] {
  const r = spawnSync('rg', rgArgs(root), { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 && r.status !== 1) throw new Error(`rg exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}
