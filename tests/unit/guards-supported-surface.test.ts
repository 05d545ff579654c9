import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { scanSupportedSurface } from '../../guards/supported-surface.ts';
import { runLane } from '../../harness/run-lane.ts';
import { supportedSurfaceGuard } from '../../lanes/guards/supported-surface-guard.ts';
import { monorepoGuardPaths, referenceLabGuardPaths } from '../../profiles/guard-paths.ts';
import { lookAlikes, planted, plantedFindings, writeTree } from './fixtures/guards/monorepo-trees.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});
const tree = async (files: Record<string, string>) => {
  const root = await writeTree(files);
  roots.push(root);
  return root;
};

describe('supported-surface guard', () => {
  it('reports every planted violation with its rule, file and line', async () => {
    const findings = scanSupportedSurface(await tree(planted));
    expect(findings.map(({ rule, file, line }) => ({ rule, file, line }))).toEqual(plantedFindings);
    expect(findings.find((f) => f.rule === 'server-stub' && f.file.startsWith('iam'))?.excerpt).toBe(
      'Err(Status::unimplemented("rotate"))',
    );
  });

  it('accepts the clean look-alikes: test modules, tests/benches/examples, archived helpers named as archived', async () => {
    expect(scanSupportedSurface(await tree(lookAlikes))).toEqual([]);
  });

  it('finds a violation planted next to the look-alikes, after the test module closes', async () => {
    const vm = `${lookAlikes['plasmavmc/crates/plasmavmc-server/src/vm.rs']}pub fn migrate() { unimplemented!() }\n`;
    const findings = scanSupportedSurface(
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
    const rules = scanSupportedSurface(root, referenceLabGuardPaths).map((f) => `${f.file}:${f.rule}`);
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
});
