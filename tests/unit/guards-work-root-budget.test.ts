import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runIdTime } from '../../guards/proof-roots.ts';
import { projectRoot } from '../../helpers/proof-root.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/**
 * A work root: lane fresh-smoke with four dated runs whose `latest` points at the second oldest, lane
 * hardware-smoke with one run and one undated (uuid) run, 2 MiB in tmp, 1 MiB of cluster state, and a folder
 * without a `latest` link (not a lane).
 */
async function workTree(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'ucp-work-budget-'));
  roots.push(work);
  const file = async (rel: string, bytes: number) => {
    await mkdir(join(work, rel, '..'), { recursive: true });
    await writeFile(join(work, rel), Buffer.alloc(bytes, 1));
  };
  for (const run of [
    '20260410T120618+0900',
    '20260411T080000Z-aa01',
    '20260412T080000Z-bb02',
    '20260413T080000Z-cc03',
  ]) {
    await file(`fresh-smoke/${run}/result.json`, 64 * 1024);
  }
  await symlink('20260411T080000Z-aa01', join(work, 'fresh-smoke', 'latest'));
  await file('hardware-smoke/20260401T000000Z-dd04/status.env', 1024);
  await file('hardware-smoke/0de75570-dabd-471b-95fe-5898c54e2e8c/status.env', 1024);
  const old = new Date('2026-03-01T00:00:00Z');
  await utimes(join(work, 'hardware-smoke/0de75570-dabd-471b-95fe-5898c54e2e8c'), old, old);
  await symlink('20260401T000000Z-dd04', join(work, 'hardware-smoke', 'latest'));
  await file('tmp/disk.img', 2 * 2 ** 20);
  await file('test-cluster/state/node01.qcow2', 2 ** 20);
  await file('final-proofs/notes.txt', 100);
  return work;
}

const ucproof = (work: string, args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [join(projectRoot, 'cli/main.ts'), 'work-root-budget', ...args], {
    reject: false,
    env: { ULTRACLOUD_WORK_ROOT: work, ...env },
  });

describe('work-root-budget', () => {
  let work: string;
  beforeEach(async () => {
    work = await workTree();
  });

  it('status reports the work root, state, disposable folders and each dated proof root', async () => {
    const r = await ucproof(work, ['status', '--json']);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.bytes.disposable).toBeGreaterThanOrEqual(2 * 2 ** 20);
    expect(report.bytes.state).toBeGreaterThanOrEqual(2 ** 20);
    expect(report.bytes.total).toBeGreaterThan(report.bytes.disposable + report.bytes.state);
    expect(report.proofRoots.map((p: { lane: string; runId: string }) => `${p.lane}/${p.runId}`)).toEqual([
      'fresh-smoke/20260413T080000Z-cc03',
      'fresh-smoke/20260412T080000Z-bb02',
      'fresh-smoke/20260411T080000Z-aa01',
      'fresh-smoke/20260410T120618+0900',
      'hardware-smoke/20260401T000000Z-dd04',
      'hardware-smoke/0de75570-dabd-471b-95fe-5898c54e2e8c',
    ]);
    expect(report.proofRoots.filter((p: { latest: boolean }) => p.latest).length).toBe(2);
  });

  it('enforce exits 1 naming what is over budget, from flags or variables, and 0 within budget', async () => {
    expect((await ucproof(work, ['enforce'])).exitCode).toBe(0);
    const byFlag = await ucproof(work, ['enforce', '--max-disposable-gib', '0.001']);
    expect(byFlag.exitCode).toBe(1);
    expect(byFlag.stderr).toMatch(
      /disposable runtime folders \(tmp, publishable-kvm-runtime\) is 2\.0 MiB, over its 0\.001 GiB budget/,
    );
    const byEnv = await ucproof(work, ['enforce'], { ULTRACLOUD_WORK_ROOT_STATE_BUDGET_GIB: '0.0005' });
    expect(byEnv.exitCode).toBe(1);
    expect(byEnv.stderr).toContain('test-cluster/state');
    expect(byEnv.stderr).toContain('ULTRACLOUD_WORK_ROOT_STATE_BUDGET_GIB');
    expect(byEnv.stderr).not.toContain('disposable');
  });

  it('prune-proof-logs is a dry run that spares the N newest, the latest target and newer; --apply deletes', async () => {
    const dry = await ucproof(work, ['prune-proof-logs', '1', '--json']);
    expect(dry.exitCode).toBe(0);
    const planned = JSON.parse(dry.stdout).prune.map((p: { lane: string; runId: string }) => `${p.lane}/${p.runId}`);
    // 20260412T080000Z-bb02 is newer than `latest` (a run that has not pointed `latest` at itself yet): spared
    expect(planned).toEqual([
      'fresh-smoke/20260410T120618+0900',
      'hardware-smoke/0de75570-dabd-471b-95fe-5898c54e2e8c',
    ]);
    for (const p of planned) expect(existsSync(join(work, p))).toBe(true);

    const applied = await ucproof(work, ['prune-proof-logs', '1', '--apply']);
    expect(applied.exitCode).toBe(0);
    for (const p of planned) expect(existsSync(join(work, p))).toBe(false);
    for (const kept of [
      'fresh-smoke/20260413T080000Z-cc03',
      'fresh-smoke/20260412T080000Z-bb02',
      'fresh-smoke/latest/result.json',
      'hardware-smoke/latest',
    ]) {
      expect(existsSync(join(work, kept))).toBe(true);
    }
  });

  it('prune-proof-logs 0 --apply never deletes a root whose run is live, even when latest points elsewhere', async () => {
    // the suite root of a run in progress: its placeholder names a writer that is alive (this test process); a
    // second, later run in the same work root already moved `latest` on; an older run's writer is gone (kill -9)
    const suite = join(work, 'vitest-suite');
    const placeholder = (pid: number) =>
      JSON.stringify({
        schema: 'ultracloud-proof/suite-result@1',
        status: 'interrupted',
        finishedAt: null,
        writerPid: pid,
      });
    const dead = spawnSync('true').pid;
    await mkdir(join(suite, '20260501T080000Z-live'), { recursive: true });
    await writeFile(join(suite, '20260501T080000Z-live', 'result.json'), placeholder(process.pid));
    await mkdir(join(suite, '20260430T080000Z-dead'), { recursive: true });
    await writeFile(join(suite, '20260430T080000Z-dead', 'result.json'), placeholder(dead));
    await mkdir(join(suite, '20260429T080000Z-done'), { recursive: true });
    await writeFile(
      join(suite, '20260429T080000Z-done', 'result.json'),
      JSON.stringify({ status: 'passed', finishedAt: '2026-04-29T08:10:00Z', writerPid: process.pid }),
    );
    await mkdir(join(suite, '20260502T080000Z-next'), { recursive: true });
    await symlink('20260502T080000Z-next', join(suite, 'latest'));
    await mkdir(join(suite, '20260503T080000Z-newer'), { recursive: true });

    const applied = await ucproof(work, ['prune-proof-logs', '0', '--apply', '--json']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const pruned = JSON.parse(applied.stdout).prune.map((p: { path: string }) => p.path);
    expect(pruned.filter((p: string) => p.startsWith(suite)).sort()).toEqual([
      join(suite, '20260429T080000Z-done'),
      join(suite, '20260430T080000Z-dead'),
    ]);
    expect(existsSync(join(suite, '20260501T080000Z-live', 'result.json')), 'the live run keeps its root').toBe(true);
    expect(existsSync(join(suite, '20260502T080000Z-next')), 'latest is kept').toBe(true);
    expect(existsSync(join(suite, '20260503T080000Z-newer')), 'a root newer than latest is kept').toBe(true);
    expect(existsSync(join(suite, '20260430T080000Z-dead'))).toBe(false);
    expect(existsSync(join(suite, '20260429T080000Z-done'))).toBe(false);
  });

  it('cleanup-advice prints the concrete commands', async () => {
    const r = await ucproof(work, ['cleanup-advice']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`rm -rf -- '${join(work, 'tmp')}'`);
    expect(r.stdout).toContain('ucproof cluster clean');
    expect(r.stdout).toContain('ucproof work-root-budget prune-proof-logs 2 --apply');
  });

  it.each([
    [['prune-proof-logs']],
    [['prune-proof-logs', 'x']],
    [['prune-proof-logs', '-1']],
    [['prune-proof-logs', '1.5']],
    [['frobnicate']],
    [['status', '--max-total-gib', 'lots']],
  ])('exits 2 on bad arguments: %j', async (args) => {
    const r = await ucproof(work, args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/ucproof work-root-budget: /);
  });

  it('exits 2 naming a bad budget variable', async () => {
    const r = await ucproof(work, ['status'], { ULTRACLOUD_WORK_ROOT_BUDGET_GIB: '-3' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('ULTRACLOUD_WORK_ROOT_BUDGET_GIB');
  });

  it('reads the time a dated run id names', () => {
    expect(runIdTime('20260410T164549+0900')).toBe(Date.parse('2026-04-10T07:45:49Z'));
    expect(runIdTime('20260410T172148+09:00')).toBe(Date.parse('2026-04-10T08:21:48Z'));
    expect(runIdTime('20261125T173000Z-1a2b')).toBe(Date.parse('2026-11-25T17:30:00Z'));
    expect(runIdTime('0de75570-dabd-471b-95fe-5898c54e2e8c')).toBeUndefined();
  });
});
