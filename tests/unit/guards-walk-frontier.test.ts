import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileDirReach, compileGlobs } from '../../guards/glob.ts';
import { maxStartPathBytes, ripgrepHits } from '../../guards/ripgrep-candidates.ts';
import { walkFiles, walkFrontier } from '../../guards/walk-tree.ts';
import { monorepoGuardPaths, referenceLabGuardPaths, surfaceCategories } from '../../profiles/guard-paths.ts';
import { lookAlikes, planted, type Tree, writeTree } from './fixtures/guards/monorepo-trees.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});
const tree = async (files: Tree) => {
  const root = await writeTree(files);
  roots.push(root);
  return root;
};

const monorepoGlobs = surfaceCategories.flatMap((c) => monorepoGuardPaths[c]);

describe('how far globs reach into a directory', () => {
  const reach = compileDirReach(['docs/**/*.md', '*/crates/*-server/src/**/*.rs', 'flake.nix', 'nix/test-cluster/**']);
  it.each([
    [[], 'some'],
    [['docs'], 'all'],
    [['docs', 'deep', 'er'], 'all'],
    [['iam'], 'some'],
    [['iam', 'crates', 'iam-server'], 'some'],
    [['iam', 'crates', 'iam-server', 'src'], 'all'],
    [['iam', 'crates', 'iam-server', 'tests'], 'none'],
    [['iam', 'crates', 'iam-client'], 'none'],
    [['nix'], 'some'],
    [['nix', 'test-cluster'], 'all'],
    [['nix', 'modules'], 'none'],
  ])('%j: %s', (segments, expected) => {
    expect(reach(segments)).toBe(expected);
  });
  it('a glob starting with ** reaches the whole tree; no glob reaches nothing', () => {
    expect(compileDirReach(['**/*.md'])([])).toBe('all');
    expect(compileDirReach([])([])).toBe('none');
  });
});

/** A monorepo with subtrees the monorepo layout's globs never reach, and a symlink and skipped directories. */
const sprawling: Tree = {
  ...planted,
  'iam/crates/iam-client/src/lib.rs': 'fn f() { todo!() }\n',
  'iam/crates/iam-server/tests/t.rs': 'fn t() { todo!() }\n',
  'iam/README.md': 'IAM: TBD\n',
  'iam/Cargo.toml': '[package]\nname = "iam"\n',
  'web/src/app.md': 'coming soon\n',
  'work/logs/run.md': 'coming soon\n',
  'node_modules/docs/x.md': 'coming soon\n',
  'docs/result-1/x.md': 'coming soon\n',
  'iam/crates/iam-server/src/deep/er/x.rs': 'fn x() { unimplemented!() }\n',
};

describe('the frontier of the pruned walk', () => {
  it('names the fully reached subtrees without reading them, and the candidates above them', async () => {
    const root = await tree(sprawling);
    const anyPath = compileGlobs(monorepoGlobs);
    const frontier = walkFrontier(root, { reach: compileDirReach(monorepoGlobs), accept: (r) => anyPath.test(r) });
    expect(frontier.dirs.sort()).toEqual([
      'chainfire/crates/chainfire-server/src',
      'creditservice/docs',
      'docs',
      'fiberlb/crates/fiberlb-server/src',
      'iam/crates/iam-server/src',
      'nix/test-cluster',
      'prismnet/crates/prismnet-server/src',
    ]);
    expect(frontier.files.sort()).toEqual(['Cargo.toml', 'README.md', 'flake.nix', 'iam/Cargo.toml', 'iam/README.md']);
  });

  it.each([
    ['the sprawling monorepo', sprawling, monorepoGlobs],
    ['the look-alikes', lookAlikes, monorepoGlobs],
    [
      'the reference lab layout',
      { ...sprawling, 'lab/services/fiberlb/x.ts': '// TODO: x\n' },
      [...new Set(surfaceCategories.flatMap((c) => referenceLabGuardPaths[c]))],
    ],
  ])('covers every file walkFiles keeps, and nothing of a pruned subtree: %s', async (_name, files, globs) => {
    const root = await tree(files);
    await symlink(join(root, 'docs'), join(root, 'iam/docs'));
    const anyPath = compileGlobs(globs);
    const accept = (r: string) => anyPath.test(r);
    const frontier = walkFrontier(root, { reach: compileDirReach(globs), accept });
    const kept = walkFiles(root, { descend: (s) => compileDirReach(globs)(s) !== 'none', accept });
    const covered = (f: string) => frontier.files.includes(f) || frontier.dirs.some((d) => f.startsWith(`${d}/`));
    expect(kept.filter((f) => !covered(f))).toEqual([]);
    // below a frontier directory walkFiles prunes nothing: every file there that a glob names is a candidate
    const under = walkFiles(root, { accept }).filter((f) => frontier.dirs.some((d) => f.startsWith(`${d}/`)));
    expect(under.filter((f) => !kept.includes(f))).toEqual([]);
    expect(
      frontier.dirs.filter((d) => /(^|\/)(web|work|node_modules|result-1|iam-client|tests)(\/|$)/.test(d)),
    ).toEqual([]);
  });
});

describe('ripgrep started from a frontier', () => {
  it('searches under the start paths only, and a start file even when no glob names it', async () => {
    const root = await tree({
      'docs/a.md': 'TBD\n',
      'docs/deep/b.md': 'TBD\n',
      'other/c.md': 'TBD\n',
      'notes.txt': 'TBD\n',
      'docs/d.png': 'TBD\n',
    });
    expect(await ripgrepHits(root, ['docs/**/*.md', '**/*.md'], ['tbd'], ['docs', 'notes.txt'])).toEqual(
      new Set(['docs/a.md', 'docs/deep/b.md', 'notes.txt']),
    );
  });

  it('with no start path searches nothing and starts no rg (a missing root is never visited)', async () => {
    expect(await ripgrepHits('/nonexistent/ucp-root', ['**'], ['tbd'], [])).toEqual(new Set());
  });

  it(`a start list over ${maxStartPathBytes} bytes starts from the root instead: the same hits`, async () => {
    const root = await tree(planted);
    const anchors = ['implemented', 'todo', 'tbd', 'wip', 'coming soon', 'netboot-worker', 'best-effort'];
    const fromRoot = await ripgrepHits(root, monorepoGlobs, anchors);
    // names that do not exist: were they passed to rg, it would name each as unreadable, and they would be hits
    const long = Array.from(
      { length: Math.ceil(maxStartPathBytes / 80) + 1 },
      (_, i) => `missing/${'x'.repeat(70)}${i}`,
    );
    expect(long.join('\n').length).toBeGreaterThan(maxStartPathBytes);
    expect(await ripgrepHits(root, monorepoGlobs, anchors, long)).toEqual(fromRoot);
    expect(fromRoot?.size).toBeGreaterThan(5);
  });
});
