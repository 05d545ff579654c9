import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { skippedDirectories } from './walk-tree.ts';

/** A file ripgrep searched: its path relative to the root (`/`-separated) and whether an anchor occurs in it. */
export interface RipgrepCandidate {
  readonly file: string;
  readonly hit: boolean;
}

/**
 * ripgrep (Debian package `ripgrep`) as the guard's scanning engine: two ripgrep runs side by side over the files
 * the path globs name, one listing them (`--files`), one naming those that hold one of the anchors
 * (case-insensitive fixed strings, `--files-with-matches`). Walks like walkFiles: hidden files included, no ignore
 * files, symbolic links not followed, the skipped directories and `result-*` never entered; binary files searched
 * as text, no transcoding. Returns undefined when `rg` is not installed.
 */
export function ripgrepCandidates(
  root: string,
  globs: readonly string[],
  anchors: readonly string[],
): RipgrepCandidate[] | undefined {
  if (anchors.some((a) => a === '' || a.includes('\n'))) throw new Error('an anchor must be one non-empty line');
  const walk = [
    '--no-config',
    '--no-ignore',
    '--hidden',
    '--null',
    ...globs.flatMap((g) => ['--glob', g]),
    ...[...skippedDirectories, 'result-*'].flatMap((d) => ['--glob', `!${d}/`]),
  ];
  // the listing goes to fd 3, the search to stdout and reads its anchors from stdin; the worse exit status wins
  const script =
    'rg "$@" --files -- . >&3 & list=$!; ' +
    'rg "$@" --text --encoding=none --files-with-matches --ignore-case --fixed-strings --file=- -- .; s=$?; ' +
    'wait $list; l=$?; [ $l -gt 1 ] && [ $l -gt $s ] && s=$l; exit $s';
  const r = spawnSync('sh', ['-c', script, 'sh', ...walk], {
    cwd: root,
    input: anchors.join('\n'),
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  if (r.status === 127) return undefined;
  if (r.status !== 0 && r.status !== 1 && r.status !== 2) {
    throw new Error(`rg exited ${r.status ?? r.signal}: ${r.stderr}`);
  }
  const hits = new Set(paths(r.stdout));
  // exit 2: some path could not be searched. A directory is skipped (as walkFiles does); a file counts as a hit,
  // so the caller's own read names it (or finds it vanished)
  if (r.status === 2) {
    for (const line of r.stderr.toString('utf8').split('\n').filter(Boolean)) {
      const m = /^rg: (?:\.\/)?(.+): [^:]*\(os error \d+\)$/.exec(line);
      if (!m) throw new Error(line);
      const file = m[1] as string;
      if (!isDirectory(`${root}/${file}`)) hits.add(file);
    }
  }
  const listed = paths(r.output[3] as Buffer);
  const found = listed.map((file) => ({ file, hit: hits.delete(file) }));
  // a file the search named but the listing did not (it appeared in between): a candidate too
  return [...found, ...[...hits].map((file) => ({ file, hit: true }))];
}

/** The NUL-terminated `./`-prefixed paths rg printed, without the prefix. */
function paths(out: Buffer): string[] {
  const found: string[] = [];
  for (let at = 0; at < out.length; ) {
    const nul = out.indexOf(0, at);
    if (nul < 0 || out.toString('latin1', at, at + 2) !== './')
      throw new Error(`rg printed an unexpected path at byte ${at}`);
    found.push(out.toString('utf8', at + 2, nul));
    at = nul + 1;
  }
  return found;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
