import { spawnSync } from 'node:child_process';
import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { proofVariablesSet } from '../../cli/main.ts';
import { compileGlobLiterals, compileGlobs } from '../../guards/glob.ts';
import { ripgrepHits } from '../../guards/ripgrep-candidates.ts';
import { type SurfaceEngine, surveySupportedSurface } from '../../guards/supported-surface.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { checkEnvironment, environmentVariables } from '../../profiles/env-schema.ts';
import { type GuardPaths, monorepoGuardPaths, referenceLabGuardPaths } from '../../profiles/guard-paths.ts';
import {
  lookAlikes,
  planted,
  presentedAsCanonical,
  referenceLabPresentingLegacy,
  type Tree,
  withoutHarness,
  writeTree,
} from './fixtures/guards/monorepo-trees.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});
const tree = async (files: Tree) => {
  const root = await writeTree(files);
  roots.push(root);
  return root;
};

/** Files the two engines might walk differently: hidden, ignored, skipped directories, odd names, binary bytes. */
const edges: Tree = {
  ...lookAlikes,
  '.gitignore': '*.md\n*.rs\n',
  'docs/.draft.md': 'The lane is coming soon.\n',
  'docs/result.md': 'result: WIP\n',
  'docs/result/skipped.md': 'coming soon\n',
  'docs/result-1/skipped.md': 'coming soon\n',
  'node_modules/docs/skipped.md': 'coming soon\n',
  'iam/target/docs/skipped.md': 'TBD\n',
  'docs/a: b.md': 'Work In Progress\n',
  'docs/new\nline.md': 'x\nunder construction\n',
  'docs/binary.md': 'head\0er\nstatus: TBD\n',
  'docs/utf16.md': `\ufeff${'coming soon'}`.replace(/./g, (c) => `${c}\0`),
  'docs/kelvin.md': 'wor\u212A in progress\n',
  'fiberlb/crates/fiberlb-server/src/deep/er/x.rs': 'let a = 1; // TODO: later\n',
};

const cases: [string, Tree, GuardPaths][] = [
  ['planted', planted, monorepoGuardPaths],
  ['look-alikes', lookAlikes, monorepoGuardPaths],
  ['without harness', withoutHarness, monorepoGuardPaths],
  ['edge files', edges, monorepoGuardPaths],
  ...presentedAsCanonical.map((c): [string, Tree, GuardPaths] => [c.name, c.tree, monorepoGuardPaths]),
  ...referenceLabPresentingLegacy.map((c): [string, Tree, GuardPaths] => [c.name, c.tree, referenceLabGuardPaths]),
  ['the edge files under the reference-lab layout', edges, referenceLabGuardPaths],
];

describe('supported-surface engines', () => {
  it('ripgrep is installed (scripts/setup.sh), so the guard runs on it by default', async () => {
    expect(spawnSync('rg', ['--version']).status).toBe(0);
    const root = await tree({ 'docs/a.md': 'x\n', 'docs/b.md': 'status: TBD\n', 'src/c.md': 'TBD\n' });
    expect(await ripgrepHits(root, ['docs/**'], ['tbd'])).toEqual(new Set(['docs/b.md']));
  });

  it.each(cases)('ripgrep and node report the same findings and counts: %s', async (_name, files, paths) => {
    const root = await tree(files);
    const byNode = await surveySupportedSurface(root, paths, 'node');
    const byRipgrep = await surveySupportedSurface(root, paths, 'ripgrep');
    expect(byRipgrep).toEqual(byNode);
    expect(await surveySupportedSurface(root, paths)).toEqual(byNode);
  });

  it('on the edge files both find the hidden, colon, newline and binary files and skip what walkFiles skips', async () => {
    const root = await tree(edges);
    await symlink(join(root, 'docs/.draft.md'), join(root, 'docs/link.md'));
    for (const engine of ['ripgrep', 'node'] as SurfaceEngine[]) {
      const scan = await surveySupportedSurface(root, monorepoGuardPaths, engine);
      expect(scan.findings.filter((f) => f.rule === 'unfinished-wording').map((f) => `${f.file}:${f.line}`)).toEqual([
        'docs/.draft.md:1',
        'docs/a: b.md:1',
        'docs/binary.md:2',
        'docs/new\nline.md:2',
        'docs/result.md:1',
      ]);
      expect(scan.findings.map((f) => f.file)).toContain('fiberlb/crates/fiberlb-server/src/deep/er/x.rs');
      // lookAlikes' 2 docs, plus .draft, a: b, binary, kelvin, new\nline, result.md, utf16 (no link, no skipped dir)
      expect(scan.scanned.docs).toBe(9);
    }
  });
});

describe('the literal prefilter of path globs', () => {
  const globs = [
    ...monorepoGuardPaths.notShipped,
    ...referenceLabGuardPaths.canonicalCode,
    '**/*',
    'a/**/b?c/{x,yz}*.rs',
  ];
  const paths = [
    'tests/a.rs',
    'x/tests/a.rs',
    'x/tests.rs',
    'src/a_test.rs',
    'a.test.ts',
    'x/benches/b.rs',
    'examples/e.rs',
    'src/test/t.rs',
    'src/testing.rs',
    'z',
    'a/b1c/x.rs',
    'a/q/b2c/yzz.rs',
    'profiles/descriptors/x.ts',
    'lanes/publishable/y.ts',
  ];
  it.each(globs)('passes every path %s matches', (glob) => {
    const literal = compileGlobLiterals([glob]);
    for (const p of paths) if (compileGlobs([glob]).test(p)) expect(literal(p), p).toBe(true);
  });
  it('rules out paths holding none of the literals', () => {
    const literal = compileGlobLiterals(monorepoGuardPaths.notShipped);
    expect(literal('iam/crates/iam-server/src/m1/h1.rs')).toBe(false);
    expect(literal('iam/crates/iam-server/tests/t.rs')).toBe(true);
  });
});

describe('ucproof guard supported-surface --engine', () => {
  const guard = (args: string[], env: Record<string, string> = {}) =>
    execa(process.execPath, [join(projectRoot, 'cli/main.ts'), 'guard', 'supported-surface', ...args], {
      reject: false,
      env,
    });

  it('prints the same JSON with either engine', async () => {
    const root = await tree(planted);
    const rg = await guard(['--root', root, '--json', '--engine', 'ripgrep']);
    const node = await guard(['--root', root, '--json', '--engine', 'node']);
    expect(rg.exitCode).toBe(1);
    expect(node.exitCode).toBe(1);
    expect(JSON.parse(rg.stdout)).toEqual(JSON.parse(node.stdout));
  });

  it('exits 2 on an unknown engine, naming --engine', async () => {
    const r = await guard(['--root', '.', '--engine', 'awk']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--engine must be ripgrep or node, got "awk"');
  });

  it('still refuses a bad ULTRACLOUD_* value though its start-up loads no schema when none is set', async () => {
    const r = await guard(['--root', '.'], { ULTRACLOUD_KEEP_CLUSTER: 'yes' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('ULTRACLOUD_KEEP_CLUSTER: must be 0 or 1, got "yes"');
  });

  it('every variable the schema reads is one the start-up looks for, and an environment without them passes', () => {
    for (const v of environmentVariables) expect(proofVariablesSet({ [v]: '1' }), v).toBe(true);
    expect(proofVariablesSet({ [environmentVariables[0] as string]: '' })).toBe(false);
    expect(() => checkEnvironment({})).not.toThrow();
  });
});
