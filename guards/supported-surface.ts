import {
  type GuardPaths,
  monorepoGuardPaths,
  type SurfaceCategory,
  surfaceCategories,
} from '../profiles/guard-paths.ts';
import { InvalidInputError } from '../profiles/invalid-input.ts';
import { cargoWorkspaceMembers } from './cargo-workspace-members.ts';
import { compileDirPrefixes, compileDirReach, compileGlobLiterals, compileGlobs } from './glob.ts';
import { FastFileReader } from './read-file-fast.ts';
import { ripgrepHits } from './ripgrep-candidates.ts';
import { inRanges, rustTestModuleLines } from './rust-test-modules.ts';
import {
  completenessMarkers,
  helperPattern,
  type SurfaceRuleId,
  serverStubs,
  toAnchors,
  toPrefilter,
  toRegExp,
  unfinishedWording,
} from './surface-rules.ts';
import { walkFiles, walkFrontier } from './walk-tree.ts';

export interface SurfaceFinding {
  readonly rule: SurfaceRuleId;
  /** relative to the scanned root, `/`-separated */
  readonly file: string;
  readonly line: number;
  readonly excerpt: string;
}

/** What one scan read: the findings, and how many files it scanned as each category of the layout. */
export interface SurfaceScan {
  readonly findings: SurfaceFinding[];
  readonly scanned: Record<SurfaceCategory, number>;
  /** the categories the layout names (a non-empty glob list): each must have files in a real tree */
  readonly expected: SurfaceCategory[];
}

type Classified = Record<SurfaceCategory, boolean>;

/**
 * supported-surface-guard: unfinished wording in docs and harness files, stub responses in shipped server code,
 * completeness markers in the supported provider/backend servers, archived helpers in the default product
 * surface. The engine finds the files the path globs name and which of them hold one of the rules' anchors; only
 * those are read and examined line by line.
 *
 * Both engines walk the tree (pruning subtrees no path glob can reach) to list and count the candidates. With
 * `ripgrep` (the default when `rg` is installed) a parallel `rg` searches the candidates for the anchors meanwhile,
 * and only the files it names are read: rg starts from the walk's frontier (the subtrees a glob's `**` covers and
 * the candidates above them), so it never lists a pruned subtree either. With `node` every candidate is read
 * through one reusable buffer and tested with one combined regex of the anchors. Both yield the same findings and
 * counts.
 */
export type SurfaceEngine = 'ripgrep' | 'node';

export async function scanSupportedSurface(
  root: string,
  paths: GuardPaths = monorepoGuardPaths,
  engine?: SurfaceEngine,
): Promise<SurfaceFinding[]> {
  return (await surveySupportedSurface(root, paths, engine)).findings;
}

/** The scan with its coverage: files scanned per category, and which categories the layout names. */
export async function surveySupportedSurface(
  root: string,
  paths: GuardPaths = monorepoGuardPaths,
  engine?: SurfaceEngine,
): Promise<SurfaceScan> {
  const named = surfaceCategories.filter((c) => paths[c].length > 0);
  const globs = named.map((c) => compileGlobs(paths[c]));
  const notShipped = compileGlobs(paths.notShipped);
  const maybeNotShipped = compileGlobLiterals(paths.notShipped);
  // the categories of a file as bits of `named`; server and completeness code that is never shipped is neither
  const shippedOnly = named.reduce(
    (bits, c, i) => (c === 'serverCode' || c === 'completenessCode' ? bits | (1 << i) : bits),
    0,
  );
  const classify = (rel: string): number => {
    let kind = 0;
    for (let i = 0; i < globs.length; i++) if ((globs[i] as RegExp).test(rel)) kind |= 1 << i;
    if (kind & shippedOnly && maybeNotShipped(rel) && notShipped.test(rel)) kind &= ~shippedOnly;
    return kind;
  };
  const helpers = paths.archivedHelpers.map(helperPattern);
  const notCanonical = [...paths.archivedHelpers, ...paths.legacyBlocks].map(helperPattern);
  const rules = {
    wording: toRegExp(unfinishedWording),
    stub: toRegExp(serverStubs),
    completeness: toRegExp(completenessMarkers),
    helper: toRegExp(helpers),
    notCanonical: toRegExp(notCanonical),
  };
  const patterns = [...unfinishedWording, ...serverStubs, ...completenessMarkers, ...helpers, ...notCanonical];
  const prefilter = toPrefilter(patterns);
  const reader = new FastFileReader();
  const all = [...new Set(named.flatMap((c) => paths[c]))];
  const anyPath = compileGlobs(all);
  const accept = (rel: string) => anyPath.test(rel);
  // ripgrep searches, from the frontier of the pruned walk, while this process walks the tree and classifies
  const search =
    engine === 'node'
      ? undefined
      : (() => {
          const { dirs, files } = walkFrontier(root, { reach: compileDirReach(all), accept });
          return ripgrepHits(root, all, toAnchors(patterns), [...dirs, ...files]);
        })();
  const walked = walkFiles(root, { descend: compileDirPrefixes(all), accept });
  const kinds = walked.map(classify);
  const hits = await search;
  if (engine === 'ripgrep' && !hits) {
    throw new InvalidInputError('the ripgrep engine needs rg (Debian package ripgrep), not found on PATH', ['engine']);
  }
  const counts = named.map(() => 0);
  const count = (kind: number) => {
    for (let i = 0; i < counts.length; i++) if (kind & (1 << i)) (counts[i] as number)++;
  };
  const findings: SurfaceFinding[] = [];
  walked.forEach((file, at) => {
    const bits = kinds[at] as number;
    if (bits === 0) return;
    if (hits && !hits.has(file)) {
      // ripgrep read it and found no anchor
      count(bits);
      return;
    }
    const bytes = readCandidate(reader, `${root}/${file}`);
    if (!bytes) return;
    count(bits);
    if (!prefilter.test(bytes.toString('latin1'))) return;
    const kind = Object.fromEntries(named.map((c, i) => [c, (bits & (1 << i)) !== 0])) as Classified;
    findings.push(...examine(file, bytes.toString('utf8'), kind, paths, rules));
  });
  const scanned = Object.fromEntries(surfaceCategories.map((c) => [c, 0])) as Record<SurfaceCategory, number>;
  named.forEach((c, i) => {
    scanned[c] = counts[i] as number;
  });
  return {
    findings: findings.sort((a, b) => compare(a.file, b.file) || a.line - b.line || compare(a.rule, b.rule)),
    scanned,
    expected: named,
  };
}

/** The rules' compiled patterns. */
interface Rules {
  readonly wording: RegExp;
  readonly stub: RegExp;
  readonly completeness: RegExp;
  readonly helper: RegExp;
  readonly notCanonical: RegExp;
}

/** The findings in one candidate file, read as its categories say. */
function examine(file: string, content: string, kind: Classified, paths: GuardPaths, rules: Rules): SurfaceFinding[] {
  const findings: SurfaceFinding[] = [];
  const lines = content.split('\n');
  const wording = kind.docs || kind.harness;
  const stub = kind.serverCode;
  const completeness = kind.completenessCode;
  const testLines = file.endsWith('.rs') && (stub || completeness) ? rustTestModuleLines(content) : [];
  const commandLines = kind.canonicalDocs ? canonicalCommandLines(lines) : undefined;
  const add = (rule: SurfaceRuleId, line: number) =>
    findings.push({ rule, file, line, excerpt: (lines[line - 1] ?? '').trim().slice(0, 160) });
  lines.forEach((text, i) => {
    const line = i + 1;
    if (wording && rules.wording.test(text)) add('unfinished-wording', line);
    const shippedLine = !inRanges(line, testLines);
    if (stub && shippedLine && rules.stub.test(text)) add('server-stub', line);
    if (completeness && shippedLine && rules.completeness.test(text)) add('completeness-marker', line);
    if (kind.flakeSurface && rules.helper.test(stripNixComment(text))) add('archived-helper', line);
    const presented = (commandLines?.has(line) ?? false) || (kind.canonicalCode && !isCodeComment(text));
    if (presented && rules.notCanonical.test(text)) add('legacy-entrypoint', line);
  });
  if (kind.cargoWorkspaces) {
    for (const m of cargoWorkspaceMembers(content)) {
      const segments = m.member.split('/');
      if (paths.archivedHelpers.some((h) => segments.includes(h))) add('archived-helper', m.line);
    }
  }
  return findings;
}

/**
 * The lines (1-based) of a doc's fenced command blocks that present canonical commands: every fenced block
 * except those under a heading that says its section is legacy, experimental, archived, manual or debugging.
 */
export function canonicalCommandLines(lines: readonly string[]): Set<number> {
  const out = new Set<number>();
  let fence: string | undefined;
  let nonCanonicalSection = false;
  lines.forEach((text, i) => {
    const open = /^\s*(`{3,}|~{3,})/.exec(text);
    if (fence === undefined) {
      const heading = /^\s{0,3}#{1,6}\s+(.*)$/.exec(text);
      if (heading) nonCanonicalSection = /legacy|experimental|archived|manual|debug/i.test(heading[1] ?? '');
      else if (open) fence = open[1];
      return;
    }
    if (open && text.trim().startsWith(fence) && text.trim().replace(/[`~]/g, '') === '') {
      fence = undefined;
      return;
    }
    if (!nonCanonicalSection) out.add(i + 1);
  });
  return out;
}

/** A TypeScript line that is only a comment (`//`, `/*`, or a block comment's ` * ` line). */
function isCodeComment(line: string): boolean {
  return /^\s*(\/\/|\/\*|\*)/.test(line);
}

/**
 * A candidate's bytes, or undefined when it vanished between the walk and the read. A file that cannot be read
 * (permissions, I/O) is bad input naming it: the guard cannot vouch for a tree it cannot read.
 */
function readCandidate(reader: FastFileReader, path: string): Buffer | undefined {
  try {
    return reader.read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new InvalidInputError(`${path} cannot be read (${code ?? (err as Error).message})`, [path]);
  }
}

/** A Nix line without its `#` comment (a `#` inside a string is kept). */
function stripNixComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') i++;
    else if (c === '"') inString = !inString;
    else if (c === '#' && !inString) return line.slice(0, i);
  }
  return line;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
