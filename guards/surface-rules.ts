/**
 * The supported-surface guard's rules. Each pattern is written once and used two ways: as a JavaScript RegExp
 * (the scanner) and as a POSIX extended regex (the `grep -rE` baseline of the benchmark), so both read the same
 * thing. `ignoreCase` patterns are expanded to bracket classes for grep.
 */
export type SurfaceRuleId =
  | 'unfinished-wording'
  | 'server-stub'
  | 'completeness-marker'
  | 'archived-helper'
  | 'legacy-entrypoint';

export interface SurfacePattern {
  /** valid both as a JavaScript RegExp and as a POSIX ERE (GNU grep: `\b` allowed) */
  readonly source: string;
  readonly ignoreCase?: boolean;
  /** a lower-case literal every match contains (case-insensitively): the prefilter looks only for anchors */
  readonly anchor: string;
}

/** Wording that says a published surface is not finished. */
export const unfinishedWording: readonly SurfacePattern[] = [
  { source: 'coming soon', ignoreCase: true, anchor: 'coming soon' },
  { source: 'not yet implemented', ignoreCase: true, anchor: 'implemented' },
  { source: 'not implemented yet', ignoreCase: true, anchor: 'implemented' },
  { source: 'work in progress', ignoreCase: true, anchor: 'work in progress' },
  { source: 'under construction', ignoreCase: true, anchor: 'under construction' },
  { source: '\\bTBD\\b', anchor: 'tbd' },
  { source: '\\bWIP\\b', anchor: 'wip' },
];

/** Intentional stub responses in shipped server code. */
export const serverStubs: readonly SurfacePattern[] = [
  { source: 'Status::unimplemented', anchor: 'implemented' },
  { source: 'Code::Unimplemented', anchor: 'implemented' },
  { source: 'StatusCode::NOT_IMPLEMENTED', anchor: 'implemented' },
  { source: '\\bunimplemented!', anchor: 'implemented' },
  { source: '\\btodo!', anchor: 'todo' },
  { source: '"[^"]*not (yet )?implemented[^"]*"', ignoreCase: true, anchor: 'implemented' },
  { source: "'[^']*not (yet )?implemented[^']*'", ignoreCase: true, anchor: 'implemented' },
];

/** High-signal completeness markers in the supported provider/backend servers. */
export const completenessMarkers: readonly SurfacePattern[] = [
  { source: '\\bTODO:', anchor: 'todo' },
  { source: '\\bFIXME\\b', anchor: 'fixme' },
  { source: 'best-effort', ignoreCase: true, anchor: 'best-effort' },
];

/** A name as a whole token: not part of a longer name such as `netboot-worker-old`. */
export function helperPattern(name: string): SurfacePattern {
  const escaped = name.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
  return { source: `(^|[^A-Za-z0-9_-])${escaped}([^A-Za-z0-9_-]|$)`, anchor: name.toLowerCase() };
}

export function toRegExp(patterns: readonly SurfacePattern[], global = false): RegExp {
  const parts = patterns.map((p) => (p.ignoreCase ? `(?i:${p.source})` : `(?:${p.source})`));
  return new RegExp(parts.join('|'), global ? 'gm' : 'm');
}

/**
 * One case-insensitive regex of the patterns' anchors: a cheap test that a text may match one of the patterns
 * (a text without any anchor matches none of them).
 */
export function toPrefilter(patterns: readonly SurfacePattern[]): RegExp {
  return new RegExp(
    toAnchors(patterns)
      .map((a) => a.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&'))
      .join('|'),
    'i',
  );
}

/** The patterns' anchors, each once: literals, to be looked for case-insensitively. */
export function toAnchors(patterns: readonly SurfacePattern[]): string[] {
  return [...new Set(patterns.map((p) => p.anchor))];
}

/** The same patterns as one POSIX ERE for `grep -E`. */
export function toExtendedRegex(patterns: readonly SurfacePattern[]): string {
  return patterns.map((p) => (p.ignoreCase ? caseFold(p.source) : p.source)).join('|');
}

function caseFold(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      out += source.slice(i, i + 2);
      i++;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === ']') {
      inClass = false;
      out += c;
    } else if (!inClass && /[a-z]/i.test(c)) out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    else out += c;
  }
  return out;
}
