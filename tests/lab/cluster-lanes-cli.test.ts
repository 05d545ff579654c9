import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workTempDir } from '../../helpers/proof-root.ts';
import { currentLab } from '../../lab/cluster/current-lab.ts';
import { listNetns } from '../../lab/net/ip.ts';
import { driver, labClusterInfo } from '../../lab/target/driver.ts';
import { LaneResult } from '../../profiles/result-schema.ts';

/** The operator's lane commands on a lab of their own work root: `cluster up`, then a lane and the web app on it. */
const root = resolve(import.meta.dirname, '../..');
const work = await workTempDir('ucp-cluster-lanes-');
const env: NodeJS.ProcessEnv = { ...process.env, ULTRACLOUD_WORK_ROOT: work };
delete env.ULTRACLOUD_KEEP_CLUSTER;
delete env.ULTRACLOUD_RUN_ID;
const cli = join(root, 'cli/main.ts');

function ucproof(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'cluster', ...args], { encoding: 'utf8', env, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => {
  ucproof('stop');
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('ucproof cluster lane commands on a running lab', () => {
  it('bench-storage runs the lane on the lab cluster up started, prints a proof root whose result passed, and leaves the lab up', () => {
    expect(ucproof('up').code).toBe(0);
    const labId = currentLab(work)?.labId;
    const bench = ucproof('bench-storage');
    expect(bench.code, bench.stderr).toBe(0);
    expect(bench.stderr).toContain(`on the running cluster ${labId}`);
    const proofRoot = /\[cluster bench-storage\] proof root (\S+)/.exec(bench.stderr)?.[1] ?? '';
    expect(proofRoot.startsWith(join(work, 'bench-storage'))).toBe(true);
    expect(existsSync(proofRoot)).toBe(true);
    const result = LaneResult.parse(JSON.parse(readFileSync(join(proofRoot, 'result.json'), 'utf8')));
    expect(result.status).toBe('passed');
    expect(existsSync(join(proofRoot, 'bench-storage.json'))).toBe(true);
    // the plain form reuses the lab and leaves it running
    expect(currentLab(work)?.labId).toBe(labId);
    expect(ucproof('status').code).toBe(0);
  }, 900_000);

  it('serve-vm-webapp prints a lab URL serving the demo page until SIGINT, then deletes the VM and exits 130', async () => {
    const name = `webapp-serve-test-${process.pid}`;
    const { child, url, exited, stderr } = await serve(name);
    const lab = currentLab(work);
    if (!lab) throw new Error('the lab is gone');
    const host = new URL(url).hostname;
    expect(lab.nodes.map((n) => n.address)).toContain(host);
    const page = await (await fetch(url)).text();
    expect(page).toContain('UltraCloud demo web app');

    const { ports } = await driver.connect(labClusterInfo(lab));
    const vm = await ports.plasmavmc?.at(lab.nodes.find((n) => n.address === host)?.name ?? '').vm(name);
    expect(vm?.state).toBe('running');

    child.kill('SIGINT');
    expect(await exited, stderr()).toBe(130);
    expect(stderr()).toContain(`VM ${name} deleted`);
    for (const worker of lab.nodes.filter((n) => n.role === 'worker')) {
      const listed = (await ports.plasmavmc?.at(worker.name).listVms()) ?? [];
      expect(listed.map((v) => v.name)).not.toContain(name);
    }
    await expect(fetch(url, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
  }, 600_000);

  it('stop leaves no cluster up; bench-storage then exits 3 naming cluster up', () => {
    expect(ucproof('stop').code).toBe(0);
    const r = ucproof('bench-storage');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "no cluster is up (start one with 'ucproof cluster up', or run 'ucproof cluster fresh-bench-storage')",
    );
  }, 120_000);

  it('fresh-bench-storage with no cluster up boots one, passes, and leaves nothing of that cluster running', async () => {
    const before = labDirs();
    const r = ucproof('fresh-bench-storage');
    expect(r.code, r.stderr).toBe(0);
    const proofRoot = /\[cluster fresh-bench-storage\] proof root (\S+)/.exec(r.stderr)?.[1] ?? '';
    const result = LaneResult.parse(JSON.parse(readFileSync(join(proofRoot, 'result.json'), 'utf8')));
    expect(result.status).toBe('passed');
    const booted = labDirs().filter((d) => !before.includes(d));
    expect(booted).toHaveLength(1);
    expect(currentLab(work)).toBeNull();
    for (const id of booted) {
      expect((await listNetns()).filter((ns) => ns.startsWith(`ucn-${id}-`))).toEqual([]);
      expect(spawnSync('pgrep', ['-f', `lab/${id}/`], { encoding: 'utf8' }).stdout.trim()).toBe('');
    }
  }, 900_000);

  it('serve-vm-webapp with no cluster up boots one, serves the demo page, and on SIGINT leaves nothing of it running', async () => {
    expect(currentLab(work)).toBeNull();
    const before = labDirs();
    const { child, url, exited, stderr } = await serve(`webapp-serve-fresh-${process.pid}`);
    expect(stderr()).toContain('no cluster is up: booting one');
    expect(await (await fetch(url)).text()).toContain('UltraCloud demo web app');
    child.kill('SIGINT');
    expect(await exited, stderr()).toBe(130);
    const booted = labDirs().filter((d) => !before.includes(d));
    expect(booted).toHaveLength(1);
    for (const id of booted) {
      expect((await listNetns()).filter((ns) => ns.startsWith(`ucn-${id}-`))).toEqual([]);
      expect(spawnSync('pgrep', ['-f', `lab/${id}/`], { encoding: 'utf8' }).stdout.trim()).toBe('');
    }
  }, 600_000);
});

describe('ucproof cluster fresh-bench-storage interrupted', () => {
  it('Ctrl-C mid-lane exits 130, the proof root says interrupted, and nothing of its cluster is left running', async () => {
    const before = labDirs();
    const child = spawn(process.execPath, [cli, 'cluster', 'fresh-bench-storage'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    let out = '';
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    // the lane's step lines go to stderr, Vitest's own to stdout
    await new Promise<void>((done, fail) => {
      const started = () => (err + out).includes('bench-storage › lightningstor:') && done();
      child.stderr?.on('data', (d) => {
        err += String(d);
        started();
      });
      child.stdout?.on('data', (d) => {
        out += String(d);
        started();
      });
      void exited.then((code) => fail(new Error(`exited ${code} before the lane started: ${err}`)));
    });
    child.kill('SIGINT');
    expect(await exited, err).toBe(130);
    const proofRoot = /\[cluster fresh-bench-storage\] proof root (\S+)/.exec(err)?.[1] ?? '';
    const result = LaneResult.parse(JSON.parse(readFileSync(join(proofRoot, 'result.json'), 'utf8')));
    expect(result.status).toBe('interrupted');
    const booted = labDirs().filter((d) => !before.includes(d));
    expect(booted).toHaveLength(1);
    for (const id of booted) {
      expect((await listNetns()).filter((ns) => ns.startsWith(`ucn-${id}-`))).toEqual([]);
      expect(spawnSync('pgrep', ['-f', `lab/${id}/`], { encoding: 'utf8' }).stdout.trim()).toBe('');
    }
  }, 600_000);
});

/** The lab state dirs under this test's work root (one per lab booted in it). */
function labDirs(): string[] {
  const dir = join(work, 'lab');
  return existsSync(dir) ? readdirSync(dir).filter((n) => /^[0-9a-f]{6}$/.test(n)) : [];
}

/** Start `cluster serve-vm-webapp --name NAME` and wait for the URL it prints. */
async function serve(name: string) {
  const child: ChildProcess = spawn(process.execPath, [cli, 'cluster', 'serve-vm-webapp', '--name', name], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
      const line = /^(http:\/\/\S+)\n/m.exec(out)?.[1];
      if (line) done(line);
    });
    void exited.then((code) => fail(new Error(`serve-vm-webapp exited ${code} before a URL: ${err}`)));
  });
  return { child, url, exited, stderr: () => err };
}
