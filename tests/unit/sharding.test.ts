import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { balanceShards } from '../../harness/shard-sequencer.ts';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';
import { LaneResult, SuiteResult } from '../../profiles/result-schema.ts';

const vitestBin = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');
const config = join(projectRoot, 'tests', 'unit', 'fixtures', 'shard-project', 'vitest.config.ts');
const lanes = ['shard-alpha', 'shard-beta', 'shard-delta', 'shard-gamma'];

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});

async function newRoot(prefix: string): Promise<string> {
  const root = await workTempDir(prefix);
  roots.push(root);
  return root;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: { ...process.env, FORCE_COLOR: '0', ULTRACLOUD_SUITE_NAME: 'shard-suite', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

const vitest = (workRoot: string, runId: string, ...args: string[]) =>
  run([vitestBin, ...args, '--config', config], { ULTRACLOUD_WORK_ROOT: workRoot, ULTRACLOUD_RUN_ID: runId });

async function suiteOf(workRoot: string, runId: string): Promise<SuiteResult> {
  return SuiteResult.parse(JSON.parse(await readFile(join(workRoot, 'shard-suite', runId, 'result.json'), 'utf8')));
}

/** The JUnit cases as "name outcome" lines, outcome the first element inside the case (or passed). */
async function junitCases(workRoot: string, runId: string, file = 'junit.xml'): Promise<string[]> {
  const xml = await readFile(join(workRoot, 'shard-suite', runId, file), 'utf8');
  return [...xml.matchAll(/<testcase [^>]*name="([^"]+)"[^>]*?(\/>|>\s*<(\w+))/g)]
    .map((m) => `${m[1]} ${m[2] === '/>' ? 'passed' : m[3]}`)
    .sort();
}

/** Two shards side by side (their own work roots and run ids), merged into a third work root. */
async function shardedRun(seedDurations?: Record<string, number>) {
  const [w1, w2, merged] = await Promise.all([newRoot('shard-1-'), newRoot('shard-2-'), newRoot('shard-merged-')]);
  if (seedDurations)
    for (const w of [w1, w2]) await writeFile(join(w, '.lane-durations.json'), JSON.stringify(seedDurations));
  const shards = await Promise.all([
    vitest(w1, 'run-shard-1', 'run', '--shard=1/2'),
    vitest(w2, 'run-shard-2', 'run', '--shard=2/2'),
  ]);
  const merge = await run([join(projectRoot, 'cli', 'main.ts'), 'merge-proofs', w1, w2], {
    ULTRACLOUD_WORK_ROOT: merged,
  });
  const report = await vitest(merged, 'run-merged', '--merge-reports', join(merged, 'blobs'));
  return { w1, w2, merged, shards, merge, report, suite: await suiteOf(merged, 'run-merged') };
}

let firstMerge: Awaited<ReturnType<typeof shardedRun>> | undefined;

describe('sharded runs merged into one result', () => {
  it('gives the same lanes and verdicts as an unsharded run, each lane naming its shard, host and proof root', async () => {
    const single = await newRoot('shard-single-');
    // the unsharded run beside the two shards: each its own Vitest child and work root
    const [whole, s] = await Promise.all([vitest(single, 'run-single', 'run'), shardedRun()]);
    expect(whole.code, whole.output).toBe(1);
    const unsharded = await suiteOf(single, 'run-single');
    expect(unsharded.lanes.map((l) => l.lane)).toEqual(lanes);

    expect(s.merge.code, s.merge.output).toBe(0);
    expect(s.report.code, s.report.output).toBe(1);
    const verdicts = (x: SuiteResult) => x.lanes.map((l) => [l.lane, l.status, l.missing]);
    expect(verdicts(s.suite)).toEqual(verdicts(unsharded));
    expect(verdicts(s.suite)).toEqual([
      ['shard-alpha', 'passed', []],
      ['shard-beta', 'failed', []],
      ['shard-delta', 'passed', []],
      ['shard-gamma', 'blocked', ['chainfire.put']],
    ]);
    expect(s.suite.status).toBe('failed');
    // both shards ran lanes, none twice; every lane names its shard and host, and its proof root is in the merge
    expect(new Set(s.suite.lanes.map((l) => l.shard))).toEqual(new Set(['1/2', '2/2']));
    for (const l of s.suite.lanes) {
      expect(l.host).toBe(hostname());
      expect(l.proofRoot?.startsWith(join(s.merged, l.lane))).toBe(true);
      const result = LaneResult.parse(JSON.parse(await readFile(join(l.proofRoot as string, 'result.json'), 'utf8')));
      expect(result.status).toBe(l.status);
      expect(existsSync(join(s.merged, l.lane, 'latest', 'result.json'))).toBe(true);
    }
    expect(await junitCases(s.merged, 'run-merged')).toEqual(await junitCases(single, 'run-single'));
    const steps = await junitCases(s.merged, 'run-merged', 'junit-steps.xml');
    expect(steps).toEqual(await junitCases(single, 'run-single', 'junit-steps.xml'));
    expect(steps).toContain('shard-beta › the answer holds failure');
    expect(steps).toContain('shard-beta › the target answers passed');
    expect(steps).toContain('shard-alpha › the answer holds passed');
    // the merged run kept the duration of every file that ran (a blocked lane's test is skipped) for the next one
    const durations = JSON.parse(await readFile(join(s.merged, '.lane-durations.json'), 'utf8'));
    expect(Object.keys(durations).sort()).toEqual(['alpha', 'beta', 'delta'].map((n) => `shard-project:${n}.lane.ts`));
    firstMerge = s;
  }, 120_000);

  it('balances shards by the durations kept in the work root, not by file count', async () => {
    // alpha alone takes longer than the other three together: it gets a shard to itself
    const s = await shardedRun({
      'shard-project:alpha.lane.ts': 90_000,
      'shard-project:beta.lane.ts': 10_000,
      'shard-project:gamma.lane.ts': 20_000,
      'shard-project:delta.lane.ts': 30_000,
    });
    expect(s.report.code, s.report.output).toBe(1);
    const byShard = (shard: string) =>
      s.suite.lanes
        .filter((l) => l.shard === shard)
        .map((l) => l.lane)
        .sort();
    expect(byShard('1/2')).toEqual(['shard-alpha']);
    expect(byShard('2/2')).toEqual(['shard-beta', 'shard-delta', 'shard-gamma']);
  }, 120_000);

  it('refuses a proof root that conflicts with one already merged, and bad arguments', async () => {
    const s = firstMerge ?? (await shardedRun());
    const again = await run([join(projectRoot, 'cli', 'main.ts'), 'merge-proofs', s.w1], {
      ULTRACLOUD_WORK_ROOT: s.merged,
    });
    expect(again.code, again.output).toBe(0);
    const lane = s.suite.lanes.find((l) => l.shard === '1/2')?.lane as string;
    const file = join(s.w1, lane, 'run-shard-1', 'result.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"status"', '"status" '));
    const conflict = await run([join(projectRoot, 'cli', 'main.ts'), 'merge-proofs', s.w1], {
      ULTRACLOUD_WORK_ROOT: s.merged,
    });
    expect(conflict.code).toBe(1);
    expect(conflict.output).toContain(`${lane}/run-shard-1`);
    const none = await run([join(projectRoot, 'cli', 'main.ts'), 'merge-proofs'], { ULTRACLOUD_WORK_ROOT: s.merged });
    expect(none.code).toBe(2);
    const missing = await run([join(projectRoot, 'cli', 'main.ts'), 'merge-proofs', join(s.merged, 'nope')], {
      ULTRACLOUD_WORK_ROOT: s.merged,
    });
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('is not a directory');
  }, 120_000);
});

describe('balanceShards', () => {
  it('puts the longest files first, each on the least loaded shard; unknown files count as the median', () => {
    const items = ['a', 'b', 'c', 'd', 'e'].map((key) => ({ key, item: key }));
    expect(balanceShards(items, { a: 10, b: 9, c: 2, d: 1 }, 2)).toEqual([
      ['a', 'e'],
      ['b', 'c', 'd'],
    ]);
    expect(balanceShards(items, {}, 3).flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
