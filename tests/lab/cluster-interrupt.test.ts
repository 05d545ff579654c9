import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workTempDir } from '../../helpers/proof-root.ts';
import { eventually } from '../../helpers/retry.ts';
import {
  type LabRecord,
  labSocketDir,
  labsOfWorkRoot,
  labTmpDir,
  listLabs,
  processAlive,
  subnetOf,
} from '../../lab/cluster/lab-registry.ts';
import { endLab } from '../../lab/cluster/stale-labs.ts';
import { ipJson, listLinks, listNetns } from '../../lab/net/ip.ts';

/**
 * `ucproof cluster up` interrupted mid-boot leaves nothing running: Ctrl-C ends the boot and tears the lab down
 * (exit 130); a boot killed outright is found by its slot record and removed by `cluster clean` or `cluster stop`.
 */
const root = resolve(import.meta.dirname, '../..');
const works: string[] = [];

async function newWork(): Promise<string> {
  const work = await workTempDir('ucp-cluster-interrupt-');
  works.push(work);
  return work;
}

afterAll(async () => {
  // whatever a failed test left: end it by its record before its state goes
  for (const work of works) {
    for (const r of labsOfWorkRoot(work)) await endLab(r);
    rmSync(work, { recursive: true, force: true });
  }
}, 180_000);

function ucproof(work: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'cli/main.ts'), 'cluster', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ULTRACLOUD_WORK_ROOT: work },
    timeout: 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Up {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

function spawnUp(work: string): Up {
  const child = spawn(process.execPath, [join(root, 'cli/main.ts'), 'cluster', 'up'], {
    env: { ...process.env, ULTRACLOUD_WORK_ROOT: work },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  return { child, exit, output: () => out };
}

/** The lab `up` is booting in this work root, once its first node's supervisor has written its console. */
async function bootingLab(work: string): Promise<LabRecord> {
  return await eventually(
    async () => {
      const record = labsOfWorkRoot(work)[0];
      if (!record) throw new Error('no slot record of this work root yet');
      const console = join(record.stateDir, 'nodes', 'node01', 'console.log');
      if (!existsSync(console)) throw new Error(`no ${console} yet`);
      // the record as the controller last saved it, with every namespace it made
      return labsOfWorkRoot(work).find((r) => r.labId === record.labId) ?? record;
    },
    { timeoutMs: 120_000, intervalMs: 100, what: 'a booting lab with node01 started' },
  );
}

/** Every process of the host whose command line names the lab's state, or that lives in one of its namespaces. */
function labProcesses(record: LabRecord, netnsInodes: Set<number>): string[] {
  // a namespace's inode is reused once it is gone: one another lab's namespace holds now is not this lab's
  const reused = new Set(
    readdirSync('/run/netns')
      .filter((ns) => !ns.startsWith(`ucn-${record.labId}-`))
      .flatMap((ns) => {
        try {
          return [statSync(`/run/netns/${ns}`).ino];
        } catch {
          return [];
        }
      }),
  );
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid || !processAlive(pid)) continue;
    let cmdline = '';
    let netns = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      netns = readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue;
    }
    const inode = Number(/^net:\[(\d+)\]$/.exec(netns)?.[1]);
    if (pid === record.pid || cmdline.includes(record.stateDir) || (netnsInodes.has(inode) && !reused.has(inode)))
      found.push(`${pid} ${cmdline.slice(0, 120)}`);
  }
  return found;
}

interface Leftovers {
  processes: string[];
  netns: string[];
  links: string[];
  routes: string[];
  mounts: string[];
  record: boolean;
  socketDir: boolean;
  tmpDir: boolean;
}

/** What of the lab exists on the host right now. */
async function leftovers(record: LabRecord, netnsInodes: Set<number>): Promise<Leftovers> {
  const { cidr } = subnetOf(record.slot);
  const routes = await ipJson<Array<{ dst?: string; dev?: string; type?: string }>>('route', 'show', 'table', 'all');
  return {
    processes: labProcesses(record, netnsInodes),
    netns: (await listNetns()).filter((ns) => ns.startsWith(`ucn-${record.labId}-`)),
    links: (await listLinks())
      .map((l) => l.ifname)
      .filter((n) => n === record.bridge || n.startsWith(`ucv${record.labId}`)),
    // the lab range's unreachable guard routes stay by design; nothing may route the lab's own /24
    routes: routes.filter((r) => r.dst === cidr || r.dev === record.bridge).map((r) => JSON.stringify(r)),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(record.stateDir)),
    record: listLabs().some((l) => l.labId === record.labId),
    socketDir: existsSync(labSocketDir(record.labId)),
    tmpDir: existsSync(labTmpDir(record.stateDir)),
  };
}

const nothing: Leftovers = {
  processes: [],
  netns: [],
  links: [],
  routes: [],
  mounts: [],
  record: false,
  socketDir: false,
  tmpDir: false,
};

function netnsInodesOf(record: LabRecord): Set<number> {
  return new Set(
    record.netns.flatMap((ns) => (existsSync(`/run/netns/${ns}`) ? [statSync(`/run/netns/${ns}`).ino] : [])),
  );
}

/** The probes see a booting lab: its controller and node processes, namespaces, bridge, route and record. */
async function expectBooting(record: LabRecord, inodes: Set<number>): Promise<void> {
  const seen = await leftovers(record, inodes);
  expect(seen.processes.length).toBeGreaterThan(1);
  expect(seen.netns.length).toBeGreaterThan(0);
  expect(seen.links).toContain(record.bridge);
  expect(seen.routes.length).toBeGreaterThan(0);
  expect(seen).toMatchObject({ record: true, socketDir: true, tmpDir: true });
}

async function expectGone(record: LabRecord, inodes: Set<number>): Promise<void> {
  expect(await leftovers(record, inodes)).toEqual(nothing);
}

function waitGone(pid: number): Promise<void> {
  return eventually(
    async () => {
      if (processAlive(pid)) throw new Error(`pid ${pid} still alive`);
    },
    { timeoutMs: 30_000, intervalMs: 50, what: `pid ${pid} gone` },
  );
}

/** The lab `up` is booting in this work root, as soon as its slot record exists (before any node process). */
async function registeredLab(work: string): Promise<LabRecord> {
  return await eventually(
    async () => {
      const record = labsOfWorkRoot(work)[0];
      if (!record) throw new Error('no slot record of this work root yet');
      return record;
    },
    { timeoutMs: 120_000, intervalMs: 20, what: 'a slot record of this work root' },
  );
}

describe('ucproof cluster up interrupted', () => {
  it('Ctrl-C during boot ends the boot, tears the lab down and exits 130', { timeout: 240_000 }, async () => {
    const work = await newWork();
    const up = spawnUp(work);
    const record = await bootingLab(work);
    const inodes = netnsInodesOf(record);
    expect(inodes.size).toBeGreaterThan(0);
    await expectBooting(record, inodes);

    up.child.kill('SIGINT');
    const { code } = await up.exit;
    expect({ code, output: up.output() }).toMatchObject({ code: 130 });
    expect(up.output()).toContain('up interrupted');
    await expectGone(record, inodes);
    expect(ucproof(work, 'status')).toMatchObject({ code: 1, stderr: expect.stringContaining('no cluster is up') });
  });

  it('Ctrl-C the moment the slot is claimed stops the boot before it makes more, and removes what it made', {
    timeout: 240_000,
  }, async () => {
    const work = await newWork();
    const up = spawnUp(work);
    const record = await registeredLab(work);
    up.child.kill('SIGINT');
    const { code } = await up.exit;
    expect({ code, output: up.output() }).toMatchObject({ code: 130 });
    // the namespaces the boot had made by then are found by name: none of them, nor their processes, is left
    expect(await leftovers(record, new Set())).toEqual(nothing);
    expect(ucproof(work, 'status').code).toBe(1);
  });

  it('a boot whose CLI and controller were SIGKILLed is found by its record and removed by clean', {
    timeout: 240_000,
  }, async () => {
    const work = await newWork();
    const up = spawnUp(work);
    const record = await bootingLab(work);
    const inodes = netnsInodesOf(record);
    up.child.kill('SIGKILL');
    await up.exit;
    process.kill(record.pid, 'SIGKILL');
    await waitGone(record.pid);
    // the nodes die with their controller; the network, the record and the lab's folders stay behind
    await eventually(
      async () => {
        const left = labProcesses(record, inodes);
        if (left.length) throw new Error(`still running: ${left.join('; ')}`);
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the nodes gone with their controller' },
    );
    expect(await leftovers(record, inodes)).toMatchObject({ record: true, socketDir: true, tmpDir: true });
    expect((await leftovers(record, inodes)).netns.length).toBeGreaterThan(0);

    const clean = ucproof(work, 'clean');
    expect(clean).toMatchObject({ code: 0 });
    await expectGone(record, inodes);
    expect(existsSync(record.stateDir)).toBe(false);
    expect(ucproof(work, 'status')).toMatchObject({ code: 1, stderr: expect.stringContaining('no cluster is up') });
  });

  it.each([
    ['stop', (id: string) => `lab ${id} (not up: still booting or left behind) stopped`],
    ['clean', (id: string) => `lab ${id} (not up, its starter gone) ended`],
  ])(
    "a lab whose 'up' was SIGKILLed mid-boot keeps booting unheld, and %s finds and ends it",
    {
      timeout: 240_000,
    },
    async (command, says) => {
      const work = await newWork();
      const up = spawnUp(work);
      const record = await bootingLab(work);
      const inodes = netnsInodesOf(record);
      up.child.kill('SIGKILL');
      await up.exit;
      // nothing recorded the lab as up: only its slot record names it
      expect(ucproof(work, 'status').code).toBe(1);
      await expectBooting(record, inodes);

      const ended = ucproof(work, command);
      expect(ended).toMatchObject({ code: 0, stdout: expect.stringContaining(says(record.labId)) });
      await expectGone(record, inodes);
      expect(ucproof(work, 'stop')).toMatchObject({ code: 0, stdout: 'no cluster is up\n' });
    },
  );
});
