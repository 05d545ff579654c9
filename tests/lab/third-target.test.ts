import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterInfo } from '../../contracts/target.ts';
import { connectCluster, useClusterInfo } from '../../harness/cluster.ts';
import { runLane } from '../../harness/run-lane.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { labStateOf } from '../../lab/target/driver.ts';
import { freshSmoke } from '../../lanes/publishable/fresh-smoke.ts';
import { loadDescriptorFile } from '../../profiles/load-descriptor.ts';
import { LaneResult, SuiteResult } from '../../profiles/result-schema.ts';

/**
 * A third target, from its own folder (tests/lab/third-target/) and a bindings module outside the project tree,
 * over the suite's running lab: nothing in the harness, the registry or the lanes changes for it.
 */
describe('a third target through the seam', () => {
  let outside: string;
  let descriptorFile: string;
  let unboundFile: string;
  let lab: ClusterInfo;

  beforeAll(async () => {
    lab = useClusterInfo();
    outside = await mkdtemp(join(tmpdir(), 'ucp-third-target-'));
    // the outside module re-exports the lab's HTTP bindings by absolute path, as a monorepo checkout would its own
    await writeFile(
      join(outside, 'bindings.mjs'),
      `export { default } from ${JSON.stringify(join(projectRoot, 'lab/target/bindings-module.ts'))};\n`,
    );
    const base = {
      ...lab.descriptor,
      kind: 'borrowed-lab',
      driver: join(projectRoot, 'tests/lab/third-target/driver.ts'),
    };
    descriptorFile = join(outside, 'borrowed.json');
    await writeFile(descriptorFile, JSON.stringify({ ...base, name: 'borrowed-lab', bindings: './bindings.mjs' }));
    unboundFile = join(outside, 'borrowed-unbound.json');
    await writeFile(unboundFile, JSON.stringify({ ...base, name: 'borrowed-lab-unbound' }));
  });
  afterAll(async () => {
    await rm(outside, { recursive: true, force: true });
  });

  it('runs fresh-smoke to a pass with the outside bindings, naming itself in result.json', async () => {
    const descriptor = loadDescriptorFile(descriptorFile);
    const info: ClusterInfo = {
      descriptor,
      target: {
        name: descriptor.name,
        kind: descriptor.kind,
        flake: descriptor.flake,
        gitRevision: null,
        bindings: descriptor.bindings ?? null,
      },
      state: lab.state,
      facts: { execution_model: 'borrowed-lab' },
    };
    const cluster = await connectCluster(info);
    const root = join(outside, 'work');
    const result = await runLane(freshSmoke, {
      target: cluster,
      targetName: cluster.target.name,
      targetIdentity: cluster.target,
      targetFacts: cluster.facts,
      runId: 'third-target',
      workRoot: root,
      log: () => {},
    });
    expect(result.failure).toBeNull();
    expect(result.status).toBe('passed');
    expect(result.targetIdentity).toMatchObject({
      name: 'borrowed-lab',
      kind: 'borrowed-lab',
      bindings: join(outside, 'bindings.mjs'),
    });
    const env = await readFile(join(root, 'fresh-smoke', 'third-target', 'environment.txt'), 'utf8');
    expect(env).toContain('target_kind=borrowed-lab');
    expect(env).toContain('execution_model=borrowed-lab');
  });

  it('without bindings, `vitest run tests/publishable` blocks every lane at once, lists what is missing, exits 3', async () => {
    const work = join(outside, 'work-unbound');
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'node_modules/vitest/vitest.mjs'), 'run', 'tests/publishable'],
      {
        cwd: projectRoot,
        env: {
          ...process.env,
          ULTRACLOUD_TARGET_DESCRIPTOR: unboundFile,
          BORROWED_LAB_STATE: JSON.stringify(labStateOf(lab)),
          ULTRACLOUD_WORK_ROOT: work,
          ULTRACLOUD_RUN_ID: 'unbound',
          ULTRACLOUD_SUITE_NAME: 'unbound-suite',
          VITEST: '',
          VITEST_WORKER_ID: '',
          VITEST_POOL_ID: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output.slice(-3000)).toBe(3);
    const suite = SuiteResult.parse(
      JSON.parse(await readFile(join(work, 'unbound-suite', 'unbound', 'result.json'), 'utf8')),
    );
    expect(suite.targets.map((t) => t.kind)).toEqual(['borrowed-lab']);
    expect(suite.lanes.length).toBeGreaterThanOrEqual(4);
    for (const l of suite.lanes) {
      expect(l.status, l.lane).toBe('blocked');
      expect(l.missing.length, l.lane).toBeGreaterThan(0);
      const lane = LaneResult.parse(JSON.parse(await readFile(join(work, l.lane, 'unbound', 'result.json'), 'utf8')));
      expect(lane.missingRequirements).toEqual(l.missing);
      // blocked before the first step: no step ran against a target that cannot answer
      expect(
        lane.steps.filter((s) => s.status === 'passed'),
        l.lane,
      ).toEqual([]);
      expect(lane.targetIdentity?.name).toBe('borrowed-lab-unbound');
    }
    const junit = await readFile(join(work, 'unbound-suite', 'unbound', 'junit.xml'), 'utf8');
    expect(junit).toContain('<property name="target.kind" value="borrowed-lab"/>');
  }, 600_000);
});
