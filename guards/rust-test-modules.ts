/**
 * Line ranges of `#[cfg(test)] mod name { ... }` blocks in Rust source: test modules are not shipped code.
 * Braces are matched while skipping comments, string, raw-string and char literals.
 */
export interface LineRange {
  readonly from: number;
  readonly to: number;
}

const cfgTest = /#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+[A-Za-z_][A-Za-z0-9_]*\s*\{/g;

export function rustTestModuleLines(source: string): LineRange[] {
  const ranges: LineRange[] = [];
  for (const m of source.matchAll(cfgTest)) {
    const open = (m.index ?? 0) + m[0].length - 1;
    const close = matchingBrace(source, open);
    ranges.push({ from: lineOf(source, m.index ?? 0), to: lineOf(source, close < 0 ? source.length : close) });
  }
  return ranges;
}

export function inRanges(line: number, ranges: readonly LineRange[]): boolean {
  return ranges.some((r) => line >= r.from && line <= r.to);
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = source.indexOf('\n'); i >= 0 && i < offset; i = source.indexOf('\n', i + 1)) line++;
  return line;
}

/** Offset of the `}` closing the `{` at `open`, or -1 when the file ends first. */
function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    const next = s[i + 1];
    if (c === '/' && next === '/') i = endOf(s, '\n', i);
    else if (c === '/' && next === '*') i = endOf(s, '*/', i + 2) + 1;
    else if (c === '"') i = endOfString(s, i + 1);
    else if (c === 'r' && (next === '"' || next === '#') && !/[A-Za-z0-9_]/.test(s[i - 1] ?? '')) {
      const raw = /^r(#*)"/.exec(s.slice(i, i + 260));
      if (raw) i = endOf(s, `"${raw[1]}`, i + raw[0].length) + (raw[1]?.length ?? 0);
    } else if (c === "'") {
      const char = /^'(?:\\.[^']*|[^'\\])'/.exec(s.slice(i, i + 12));
      if (char) i += char[0].length - 1;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function endOf(s: string, token: string, from: number): number {
  const at = s.indexOf(token, from);
  return at < 0 ? s.length : at;
}

function endOfString(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return s.length;
}
