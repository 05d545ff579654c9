import { spawn } from 'node:child_process';
import { skippedDirectories } from './walk-tree.ts';

/** Above this many bytes of start paths, rg starts at the root instead (far below the kernel's argument limits). */
export const maxStartPathBytes = 64 * 1024;

/**
 * ripgrep (Debian package `ripgrep`) as the guard's scanning engine: one `rg --files-with-matches` over the files the
 * path globs name, with the anchors as case-insensitive fixed strings. Walks like walkFiles: hidden files included,
 * no ignore files, symbolic links not followed, the skipped directories and `result-*` never entered; binary files
 * searched as text, no transcoding. Started at once and running while the caller walks the tree itself; resolves to
 * the paths (relative, `/`-separated) holding an anchor or that rg could not read (the caller's own read then names
 * the problem), or to undefined when `rg` is not installed.
 *
 * `start`: where rg starts, relative to the root (`''` is the root itself, the default): the directories and files
 * of the caller's walk frontier, so rg never lists the subtrees no glob reaches. rg searches a file named here even
 * when no glob matches it. No start path at all searches nothing.
 */
export function ripgrepHits(
  root: string,
  globs: readonly string[],
  anchors: readonly string[],
  start: readonly string[] = [''],
): Promise<Set<string> | undefined> {
  if (anchors.some((a) => a === '' || a.includes('\n'))) throw new Error('an anchor must be one non-empty line');
  if (start.length === 0) return Promise.resolve(new Set());
  // each path as ./path, so a name such as "-" is never stdin and every printed path has the same prefix
  let paths = start.map((p) => (p === '' ? '.' : `./${p}`));
  if (paths.reduce((n, p) => n + Buffer.byteLength(p) + 1, 0) > maxStartPathBytes) paths = ['.'];
  const args = [
    '--no-config',
    '--no-ignore',
    '--hidden',
    '--null',
    '--text',
    '--encoding=none',
    '--files-with-matches',
    '--ignore-case',
    '--fixed-strings',
    '--file=-',
    ...globs.flatMap((g) => ['--glob', g]),
    ...[...skippedDirectories, 'result-*'].flatMap((d) => ['--glob', `!${d}/`]),
    '--',
    ...paths,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('rg', args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // rg gone before reading its patterns: its exit says why
    child.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(undefined) : reject(e)));
    child.on('close', (status, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (status !== 0 && status !== 1 && status !== 2) {
        reject(new Error(`rg exited ${status ?? signal}: ${stderr}`));
        return;
      }
      try {
        const hits = new Set(printedPaths(Buffer.concat(out)));
        // exit 2: some path could not be searched (a directory the caller's walk skips as well, or a file)
        for (const line of stderr.split('\n').filter(Boolean)) {
          // rg names the path with or without its own "rg: " prefix, depending on its version
          const m = /^(?:rg: )?(?:\.\/)?(.+): [^:]*\(os error \d+\)$/.exec(line);
          if (!m) throw new Error(line);
          hits.add(m[1] as string);
        }
        resolve(hits);
      } catch (e) {
        reject(e);
      }
    });
    child.stdin.end(anchors.join('\n'));
  });
}

/** The NUL-terminated `./`-prefixed paths rg printed, without the prefix. */
function printedPaths(out: Buffer): string[] {
  const found: string[] = [];
  for (let at = 0; at < out.length; ) {
    const nul = out.indexOf(0, at);
    if (nul < 0 || out.toString('latin1', at, at + 2) !== './') {
      throw new Error(`rg printed an unexpected path at byte ${at}`);
    }
    found.push(out.toString('utf8', at + 2, nul));
    at = nul + 1;
  }
  return found;
}
