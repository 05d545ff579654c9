import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { skippedDirectories } from './walk-tree.ts';

/** A file ripgrep searched: its path relative to the root (`/`-separated) and whether an anchor occurs in it. */
export interface RipgrepCandidate {
  readonly file: string;
  readonly hit: boolean;
}

/**
 * ripgrep (Debian package `ripgrep`) as the guard's scanning engine: one parallel pass over the files the path
 * globs name, reporting every file it searched with the count of lines holding one of the anchors
 * (case-insensitive literals). Walks like walkFiles: hidden files included, no ignore files, symbolic links not
 * followed, the skipped directories and `result-*` never entered; binary files searched as text, no transcoding.
 * Returns undefined when `rg` is not installed.
 */
export function ripgrepCandidates(
  root: string,
  globs: readonly string[],
  anchors: readonly string[],
): RipgrepCandidate[] | undefined {
  const args = [
    '--no-config',
    '--no-ignore',
    '--hidden',
    '--text',
    '--encoding=none',
    '--count',
    '--include-zero',
    '--null',
    '--ignore-case',
    '--fixed-strings',
    ...anchors.flatMap((a) => ['-e', a]),
    ...globs.flatMap((g) => ['--glob', g]),
    ...[...skippedDirectories, 'result-*'].flatMap((d) => ['--glob', `!${d}/`]),
    '--',
    '.',
  ];
  const r = spawnSync('rg', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  if (r.error) throw r.error;
  const out = r.stdout;
  const found: RipgrepCandidate[] = [];
  // each record: ./PATH NUL COUNT LF (a path may hold any byte but NUL)
  for (let at = 0; at < out.length; ) {
    const nul = out.indexOf(0, at);
    if (out.toString('latin1', at, at + 2) !== './') throw new Error(`rg printed an unexpected path at byte ${at}`);
    const lf = out.indexOf(10, nul);
    if (nul < 0 || lf < 0) throw new Error(`rg printed a truncated record: ${out.subarray(at).toString()}`);
    found.push({ file: out.toString('utf8', at + 2, nul), hit: out.toString('latin1', nul + 1, lf) !== '0' });
    at = lf + 1;
  }
  // exit 2: some path could not be searched. A directory is skipped (as walkFiles does); a file goes to the caller
  // as a candidate with a hit, whose own read then names it (or finds it vanished)
  if (r.status === 2) {
    for (const line of r.stderr.toString('utf8').split('\n').filter(Boolean)) {
      const m = /^rg: (?:\.\/)?(.+): [^:]*\(os error \d+\)$/.exec(line);
      if (!m) throw new Error(`rg: ${line}`);
      const file = m[1] as string;
      if (!isDirectory(`${root}/${file}`)) found.push({ file, hit: true });
    }
  } else if (r.status !== 0 && r.status !== 1) throw new Error(`rg exited ${r.status ?? r.signal}: ${r.stderr}`);
  return found;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
