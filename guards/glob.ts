/**
 * Path globs as the guard data writes them: `*` matches within one path segment, `**` any number of segments,
 * `?` one character, `{a,b}` alternatives. Paths are relative and use `/`.
 */
export function globToRegExpSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) throw new Error(`unbalanced "{" in glob "${glob}"`);
      const alternatives = glob
        .slice(i + 1, end)
        .split(',')
        .map(globToRegExpSource);
      out += `(?:${alternatives.join('|')})`;
      i = end;
    } else out += /[\\^$.|+()[\]]/.test(c) ? `\\${c}` : c;
  }
  return out;
}

/** One RegExp matching any of the globs (an empty list matches nothing). */
export function compileGlobs(globs: readonly string[]): RegExp {
  if (globs.length === 0) return /(?!)/;
  return new RegExp(`^(?:${globs.map(globToRegExpSource).join('|')})$`);
}

/**
 * A test for directories: could some path under `dir` (given as its segments) match one of the globs? Lets a
 * walk skip whole subtrees no glob can reach.
 */
export function compileDirPrefixes(globs: readonly string[]): (segments: readonly string[]) => boolean {
  const reach = compileDirReach(globs);
  return (segments) => reach(segments) !== 'none';
}

/**
 * How far the globs reach into a directory: `none` (no path under it can match: skip it), `some` (a path under it
 * may match, some of its subdirectories may not be reachable), `all` (a glob's `**` covers it: every subdirectory,
 * at any depth, is reachable, so a walk below it can prune nothing).
 */
export type DirReach = 'none' | 'some' | 'all';

export function compileDirReach(globs: readonly string[]): (segments: readonly string[]) => DirReach {
  const split = globs.map((g) =>
    g.split('/').map((seg) => (seg === '**' ? '**' : new RegExp(`^${globToRegExpSource(seg)}$`))),
  );
  const one = (parts: (RegExp | '**')[], segments: readonly string[]): DirReach => {
    for (let i = 0; i < segments.length; i++) {
      const part = parts[i];
      if (part === undefined) return 'none';
      if (part === '**') return 'all';
      if (i === parts.length - 1) return 'none';
      if (!part.test(segments[i] as string)) return 'none';
    }
    return parts[segments.length] === '**' ? 'all' : 'some';
  };
  return (segments) => {
    let reach: DirReach = 'none';
    for (const parts of split) {
      const r = one(parts, segments);
      if (r === 'all') return r;
      if (r === 'some') reach = r;
    }
    return reach;
  };
}

/**
 * A cheap test that a path may match one of the globs: it contains the longest literal run (no `*`, `?`, `{...}`,
 * nor the slash after a `**`) of at least one glob. Every path a glob matches contains all its literal runs; a glob
 * without any literal makes the test pass everything.
 */
export function compileGlobLiterals(globs: readonly string[]): (path: string) => boolean {
  const literals = globs.map((g) =>
    g.split(/\*\*\/|\*+|\?|\{[^}]*\}/).reduce((longest, run) => (run.length > longest.length ? run : longest), ''),
  );
  if (literals.some((l) => l === '')) return () => true;
  return (path) => literals.some((l) => path.includes(l));
}
