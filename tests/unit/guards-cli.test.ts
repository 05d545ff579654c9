import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/proof-root.ts';
import { lookAlikes, planted, plantedFindings, withoutHarness, writeTree } from './fixtures/guards/monorepo-trees.ts';

const guard = (args: string[]) =>
  execa(process.execPath, [join(projectRoot, 'cli/main.ts'), 'guard', ...args], { reject: false });

describe('ucproof guard supported-surface', () => {
  let dirty: string;
  let clean: string;
  let empty: string;
  beforeAll(async () => {
    dirty = await writeTree(planted);
    clean = await writeTree(lookAlikes);
    empty = await writeTree(withoutHarness);
  });
  afterAll(async () => {
    await rm(empty, { recursive: true, force: true });
    await rm(dirty, { recursive: true, force: true });
    await rm(clean, { recursive: true, force: true });
  });

  it('exits 1 and prints {"findings":[{rule,file,line}],"scanned":{...},"emptyCategories":[]} with --json', async () => {
    const r = await guard(['supported-surface', '--root', dirty, '--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ findings: plantedFindings, emptyCategories: [] });
    expect(JSON.parse(r.stdout).scanned).toMatchObject({ docs: 3, harness: 1, serverCode: 4, canonicalDocs: 2 });
  });

  it('prints one finding per line as file:line: rule: excerpt', async () => {
    const r = await guard(['supported-surface', '--root', dirty]);
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(plantedFindings.length);
    expect(lines).toContain('docs/testing.md:3: unfinished-wording: The hardware lane is coming soon.');
    expect(lines).toContain('flake.nix:3: archived-helper: nixosConfigurations.netboot-worker = {};');
  });

  it('exits 0 on a clean tree', async () => {
    const r = await guard(['supported-surface', '--root', clean, '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ findings: [], emptyCategories: [] });
  });

  it('exits 1 on a tree missing a category of the layout, naming it', async () => {
    const r = await guard(['supported-surface', '--root', empty]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('no file scanned as harness (nix/test-cluster/**)');
    expect(r.stderr).toContain('harness 0');
  });

  it.each([
    [['supported-surface'], '--root DIR is required'],
    [['supported-surface', '--root', '/nonexistent/ucp-tree'], '"/nonexistent/ucp-tree" is not an existing directory'],
    [['supported-surface', '--root', '.', '--layout', 'mainframe'], '--layout must be one of'],
    [['supported-surface', '--root', '.', '--bogus'], "Unknown option '--bogus'"],
    [['lint'], 'unknown guard "lint"'],
    [[], 'missing guard'],
  ])('exits 2 on bad arguments %j, naming the problem', async (args, message) => {
    const r = await guard(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
