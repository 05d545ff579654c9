import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { scanSupportedSurface, surveySupportedSurface } from '../../guards/supported-surface.ts';
import { runLane } from '../../harness/run-lane.ts';
import { supportedSurfaceGuard } from '../../lanes/guards/supported-surface-guard.ts';
import { profileEntrypointTexts } from '../../profiles/canonical-profiles.ts';
import {
  archivedHelpers,
  legacyBlocks,
  monorepoGuardPaths,
  referenceLabGuardPaths,
} from '../../profiles/guard-paths.ts';
import {
  lookAlikes,
  planted,
  plantedFindings,
  presentedAsCanonical,
  referenceLabPresentingLegacy,
  withoutHarness,
  writeTree,
} from './fixtures/guards/monorepo-trees.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});
const tree = async (files: Record<string, string>) => {
  const root = await writeTree(files);
  roots.push(root);
  return root;
};

const laneRun = async (root: string, paths: typeof monorepoGuardPaths, runId: string) =>
  runLane(supportedSurfaceGuard, {
    target: { root, paths },
    targetName: 'fixture',
    runId,
    workRoot: await tree({}),
    log: () => {},
  });

describe('supported-surface guard', () => {
  it('reports every planted violation with its rule, file and line', async () => {
    const findings = await scanSupportedSurface(await tree(planted));
    expect(findings.map(({ rule, file, line }) => ({ rule, file, line }))).toEqual(plantedFindings);
    expect(findings.find((f) => f.rule === 'server-stub' && f.file.startsWith('iam'))?.excerpt).toBe(
      'Err(Status::unimplemented("rotate"))',
    );
  });

  it('accepts the clean look-alikes: test modules, tests/benches/examples, archived helpers named as archived', async () => {
    expect(await scanSupportedSurface(await tree(lookAlikes))).toEqual([]);
  });

  it('finds a violation planted next to the look-alikes, after the test module closes', async () => {
    const vm = `${lookAlikes['plasmavmc/crates/plasmavmc-server/src/vm.rs']}pub fn migrate() { unimplemented!() }\n`;
    const findings = await scanSupportedSurface(
      await tree({ ...lookAlikes, 'plasmavmc/crates/plasmavmc-server/src/vm.rs': vm }),
    );
    expect(findings.map(({ rule, file, line }) => ({ rule, file, line }))).toEqual([
      { rule: 'server-stub', file: 'plasmavmc/crates/plasmavmc-server/src/vm.rs', line: 11 },
    ]);
  });

  it('scans the reference lab layout from the repository root', async () => {
    const root = await tree({
      'lab/README.md': 'Fault switches are coming soon.\n',
      'lab/services/fiberlb/main.ts': '// FIXME drain\n',
      'lab/services/iam/main.ts': "throw new Error('not implemented');\n",
      'lab/nix/nodes.nix': '{ node07 = { services = [ "k8shost-csi" ]; }; }\n',
      'lab/services/iam/main.test.ts': "throw new Error('not implemented');\n",
    });
    const rules = (await scanSupportedSurface(root, referenceLabGuardPaths)).map((f) => `${f.file}:${f.rule}`);
    expect(rules).toEqual([
      'lab/README.md:unfinished-wording',
      'lab/nix/nodes.nix:archived-helper',
      'lab/services/fiberlb/main.ts:completeness-marker',
      'lab/services/iam/main.ts:server-stub',
    ]);
  });

  it('the lane fails on the planted tree naming the violated property, and passes on the look-alikes', async () => {
    const work = await tree({});
    const run = (root: string, runId: string) =>
      runLane(supportedSurfaceGuard, {
        target: { root, paths: monorepoGuardPaths },
        targetName: 'fixture-monorepo',
        runId,
        workRoot: work,
        log: () => {},
      });
    const failed = await run(await tree(planted), 'planted');
    expect(failed.status).toBe('failed');
    expect(failed.failure).toMatchObject({
      kind: 'property',
      stepPath: ['supported-surface-guard', 'unfinished-wording'],
      property: 'no unfinished wording in published docs, add-on docs or harness files',
    });
    expect(failed.failure?.message).toContain('docs/testing.md:3: The hardware lane is coming soon.');
    expect(failed.artifacts).toContain('findings.json');
    expect((await run(await tree(lookAlikes), 'clean')).status).toBe('passed');
  });

  it('reports the files it scanned per category of the layout', async () => {
    const scan = await surveySupportedSurface(await tree(lookAlikes), monorepoGuardPaths);
    expect(scan.expected).toEqual([
      'docs',
      'harness',
      'serverCode',
      'completenessCode',
      'flakeSurface',
      'cargoWorkspaces',
      'canonicalDocs',
    ]);
    expect(scan.scanned).toMatchObject({ docs: 2, harness: 1, flakeSurface: 1, cargoWorkspaces: 1, canonicalDocs: 2 });
    // shipped server code only: the tests/, benches and examples files are not counted
    expect(scan.scanned.serverCode).toBe(2);
    expect(scan.scanned.completenessCode).toBe(1);
  });

  it('the lane records the scanned files per category as evidence', async () => {
    const passed = await laneRun(await tree(lookAlikes), monorepoGuardPaths, 'counted');
    expect(passed.status).toBe('passed');
    expect(passed.environment).toMatchObject({ surface_files_harness: '1', surface_files_canonicalDocs: '2' });
    const coverage = passed.steps.find((s) => s.path.at(-1) === 'every category of the layout was scanned');
    expect(coverage?.checks).toContainEqual({
      property: 'the scan read at least one serverCode file',
      ok: true,
      detail: '2 serverCode file(s) scanned',
    });
  });

  it('the lane fails on a tree missing a category the layout names, naming the category', async () => {
    const failed = await laneRun(await tree(withoutHarness), monorepoGuardPaths, 'no-harness');
    expect(failed.status).toBe('failed');
    expect(failed.failure).toMatchObject({
      kind: 'property',
      stepPath: ['supported-surface-guard', 'every category of the layout was scanned'],
      property: 'the scan read at least one harness file',
    });
    expect(failed.failure?.message).toContain('no file scanned as harness (nix/test-cluster/**)');
  });

  it('the lane fails on an empty tree, naming the first empty category', async () => {
    const failed = await laneRun(await tree({}), referenceLabGuardPaths, 'empty');
    expect(failed.status).toBe('failed');
    expect(failed.failure?.property).toBe('the scan read at least one docs file');
  });

  it.each(presentedAsCanonical)('the lane fails on a tree presenting $name, naming the file', async (c) => {
    const findings = await scanSupportedSurface(await tree(c.tree));
    expect(findings.map(({ rule, file, line }) => ({ rule, file, line }))).toEqual([
      { rule: c.rule, file: c.file, line: c.line },
    ]);
    const failed = await laneRun(await tree(c.tree), monorepoGuardPaths, 'canonical');
    expect(failed.status).toBe('failed');
    expect(failed.failure?.stepPath).toEqual(['supported-surface-guard', c.rule]);
    expect(failed.failure?.message).toContain(`${c.file}:${c.line}:`);
  });

  it.each(referenceLabPresentingLegacy)('the reference-lab layout finds $name, naming the file', async (c) => {
    const findings = await scanSupportedSurface(await tree(c.tree), referenceLabGuardPaths);
    expect(findings.map(({ rule, file, line }) => ({ rule, file, line }))).toEqual([
      { rule: c.rule, file: c.file, line: c.line },
    ]);
  });

  it('no archived helper or legacy building block is a canonical profile entrypoint of this suite', () => {
    const named = Object.values(profileEntrypointTexts()).flat().join('\n');
    for (const name of [...archivedHelpers, ...legacyBlocks]) expect(named).not.toContain(name);
  });
});
