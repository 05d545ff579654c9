import { InvalidInputError } from '../profiles/descriptor-schema.ts';
import { type GuardPaths, monorepoGuardPaths } from '../profiles/guard-paths.ts';
import { cargoWorkspaceMembers } from './cargo-workspace-members.ts';
import { compileDirPrefixes, compileGlobs } from './glob.ts';
import { FastFileReader } from './read-file-fast.ts';
import { inRanges, rustTestModuleLines } from './rust-test-modules.ts';
import {
  completenessMarkers,
  helperPattern,
  type SurfaceRuleId,
  serverStubs,
  toPrefilter,
  toRegExp,
  unfinishedWording,
} from './surface-rules.ts';
import { walkFiles } from './walk-tree.ts';

export interface SurfaceFinding {
  readonly rule: SurfaceRuleId;
  /** relative to the scanned root, `/`-separated */
  readonly file: string;
  readonly line: number;
  readonly excerpt: string;
}

interface Classified {
  wording: boolean;
  stub: boolean;
  completeness: boolean;
  flake: boolean;
  cargo: boolean;
}

/**
 * supported-surface-guard: unfinished wording in docs and harness files, stub responses in shipped server code,
 * completeness markers in the supported provider/backend servers, archived helpers in the default product
 * surface. One walk prunes subtrees no path glob can reach; a file is read only when its path makes it a
 * candidate, and examined line by line only when one combined regex of the rules' anchors finds one in it.
 */
export function scanSupportedSurface(root: string, paths: GuardPaths = monorepoGuardPaths): SurfaceFinding[] {
  const wording = compileGlobs([...paths.docs, ...paths.harness]);
  const server = compileGlobs(paths.serverCode);
  const completeness = compileGlobs(paths.completenessCode);
  const notShipped = compileGlobs(paths.notShipped);
  const flake = compileGlobs(paths.flakeSurface);
  const cargo = compileGlobs(paths.cargoWorkspaces);
  const all = [
    ...paths.docs,
    ...paths.harness,
    ...paths.serverCode,
    ...paths.completenessCode,
    ...paths.flakeSurface,
    ...paths.cargoWorkspaces,
  ];
  const classify = (rel: string): Classified => {
    const shipped = !notShipped.test(rel);
    return {
      wording: wording.test(rel),
      stub: shipped && server.test(rel),
      completeness: shipped && completeness.test(rel),
      flake: flake.test(rel),
      cargo: cargo.test(rel),
    };
  };
  const anyPath = compileGlobs(all);
  const candidates = walkFiles(root, { descend: compileDirPrefixes(all), accept: (rel) => anyPath.test(rel) });

  const helpers = paths.archivedHelpers.map(helperPattern);
  const rules = {
    wording: toRegExp(unfinishedWording),
    stub: toRegExp(serverStubs),
    completeness: toRegExp(completenessMarkers),
    helper: toRegExp(helpers),
  };
  const prefilter = toPrefilter([...unfinishedWording, ...serverStubs, ...completenessMarkers, ...helpers]);
  const reader = new FastFileReader();

  const findings: SurfaceFinding[] = [];
  for (const file of candidates) {
    const kind = classify(file);
    if (!(kind.wording || kind.stub || kind.completeness || kind.flake || kind.cargo)) continue;
    const bytes = readCandidate(reader, `${root}/${file}`);
    if (!bytes || !prefilter.test(bytes.toString('latin1'))) continue;
    const content = bytes.toString('utf8');
    const lines = content.split('\n');
    const testLines = file.endsWith('.rs') && (kind.stub || kind.completeness) ? rustTestModuleLines(content) : [];
    const add = (rule: SurfaceRuleId, line: number) =>
      findings.push({ rule, file, line, excerpt: (lines[line - 1] ?? '').trim().slice(0, 160) });
    lines.forEach((text, i) => {
      const line = i + 1;
      if (kind.wording && rules.wording.test(text)) add('unfinished-wording', line);
      const shippedLine = !inRanges(line, testLines);
      if (kind.stub && shippedLine && rules.stub.test(text)) add('server-stub', line);
      if (kind.completeness && shippedLine && rules.completeness.test(text)) add('completeness-marker', line);
      if (kind.flake && rules.helper.test(stripNixComment(text))) add('archived-helper', line);
    });
    if (kind.cargo) {
      for (const m of cargoWorkspaceMembers(content)) {
        const segments = m.member.split('/');
        if (paths.archivedHelpers.some((h) => segments.includes(h))) add('archived-helper', m.line);
      }
    }
  }
  return findings.sort((a, b) => compare(a.file, b.file) || a.line - b.line || compare(a.rule, b.rule));
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
