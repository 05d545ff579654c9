import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster, useClusterInfo } from '../../harness/cluster.ts';
import { findLab, labAddressRange, labTmpDir, listLabs, subnetOf } from '../../lab/cluster/lab-registry.ts';
import { listLinks } from '../../lab/net/ip.ts';
import { guardedLabBlocks, guardLabRange } from '../../lab/net/lab-range.ts';
import { labStateOf } from '../../lab/target/driver.ts';
import { randomPort, startHttpBackend } from '../../lanes/publishable/fresh-matrix-backends.ts';
import { labControl, startLab } from './support/lab.ts';

const run = promisify(execFile);

/** `ip route get <address>`: the route the host would use, or the kernel's refusal. */
async function routeGet(address: string): Promise<{ ok: boolean; text: string }> {
  try {
    const { stdout } = await run('ip', ['route', 'get', address], { timeout: 10_000 });
    return { ok: true, text: stdout.trim() };
  } catch (err) {
    return { ok: false, text: String((err as { stderr?: string }).stderr ?? err).trim() };
  }
}

/** An address inside the lab range whose /24 no bridge on this host claims and no lab slot holds. */
async function unclaimedLabAddress(): Promise<string> {
  const onLinks = new Set(
    (await listLinks()).flatMap((l) => (l.addr_info ?? []).map((a) => a.local.split('.').slice(0, 3).join('.'))),
  );
  const slots = new Set(listLabs().map((l) => l.slot));
  for (let i = 0; i < 50 * 256; i++) {
    const slot = (7_919 * (i + 1)) % (50 * 256);
    if (!slots.has(slot) && !onLinks.has(subnetOf(slot).prefix)) return `${subnetOf(slot).prefix}.77`;
  }
  throw new Error('every lab /24 is claimed');
}

function connectError(address: string, port: number): Promise<{ code: string | undefined; ms: number }> {
  const at = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 5_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ code: 'CONNECTED', ms: Date.now() - at });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ code: 'TIMEOUT', ms: Date.now() - at });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code, ms: Date.now() - at }));
  });
}

const hostTmpBackends = () => readdirSync('/tmp').filter((n) => n.startsWith('ucp-backend-'));

describe('lab safety', () => {
  let cluster: Cluster;
  let labDir: string;
  beforeAll(async () => {
    cluster = await useCluster();
    const labId = labStateOf(useClusterInfo()).labId;
    const record = findLab(labId);
    if (!record) throw new Error(`lab ${labId} holds no slot`);
    labDir = record.stateDir;
  });

  it('a booted lab leaves the whole lab range unreachable, its own /24 routed to its bridge', async () => {
    expect(await guardedLabBlocks()).toEqual(labAddressRange());
    // installing again changes nothing: one route per block
    await guardLabRange();
    const { stdout } = await run('ip', ['-j', 'route', 'show', 'type', 'unreachable']);
    const dsts = (JSON.parse(stdout) as Array<{ dst: string }>).map((r) => r.dst);
    for (const block of labAddressRange()) expect(dsts.filter((d) => d === block)).toHaveLength(1);

    const node = cluster.node('node01');
    const own = await routeGet(node.address);
    expect(own.ok).toBe(true);
    expect(own.text).toContain(`dev ucb-${labStateOf(useClusterInfo()).labId} `);
  });

  it('a lab address no bridge claims fails at once with EHOSTUNREACH instead of leaving the host', async () => {
    const address = await unclaimedLabAddress();
    // the covering route is an unreachable lab block, never the default route
    const { stdout } = await run('ip', ['-j', 'route', 'show', 'match', address]);
    const covering = JSON.parse(stdout) as Array<{ dst: string; type?: string }>;
    const prefixLength = (dst: string) => (dst === 'default' ? 0 : Number(dst.split('/')[1] ?? 32));
    const best = covering.sort((x, y) => prefixLength(y.dst) - prefixLength(x.dst))[0];
    expect(best?.type).toBe('unreachable');
    expect(labAddressRange()).toContain(best?.dst);
    const lookup = await routeGet(address);
    expect(lookup).toEqual({ ok: false, text: 'RTNETLINK answers: No route to host' });

    // only now (the kernel refuses the route) is a real connection attempt made
    const attempt = await connectError(address, 9);
    expect(attempt.code).toBe('EHOSTUNREACH');
    expect(attempt.ms).toBeLessThan(1_000);
  });

  it("a node's /tmp is the lab's private folder: a backend's document root never lands in the host's /tmp", async () => {
    const before = hostTmpBackends();
    const node = cluster.node('node01');
    const name = `safety-${Date.now().toString(36)}`;
    const nodeTmp = join(labTmpDir(labDir), node.name);
    const backend = await startHttpBackend(node, name, randomPort());
    try {
      expect(existsSync(join(nodeTmp, `ucp-backend-${name}`, 'index.html'))).toBe(true);
      expect(existsSync(`/tmp/ucp-backend-${name}`)).toBe(false);
    } finally {
      await backend.stop();
    }
    expect(existsSync(join(nodeTmp, `ucp-backend-${name}`))).toBe(false);
    expect(hostTmpBackends().filter((n) => !before.includes(n))).toEqual([]);

    // every service of the node is told so: TMPDIR=/tmp, the node's own /tmp
    const services = (await labControl(useClusterInfo()).node(node.name)).services.filter((s) => s.pid !== null);
    expect(services.length).toBeGreaterThan(0);
    for (const s of services) {
      const environ = await node.succeed(`tr '\\0' '\\n' < /proc/${s.pid}/environ`);
      expect(environ.split('\n'), s.name).toContain('TMPDIR=/tmp');
    }
  });

  it("a lab's own temporary folder is the controller's TMPDIR and goes with the lab", async () => {
    const lab = await startLab({ nodes: [{ name: 'node01', role: 'control-plane', services: [] }] });
    const dir = labTmpDir(lab.state.labDir);
    try {
      expect(existsSync(join(dir, 'node01'))).toBe(true);
      // what the controller starts (the node's process tree) inherits TMPDIR=<lab dir>/tmp
      const pid = lab.state.controllerPid;
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
      expect(children.length).toBeGreaterThan(0);
      for (const child of children) {
        expect(readFileSync(`/proc/${child}/environ`, 'utf8').split('\0')).toContain(`TMPDIR=${dir}`);
      }
    } finally {
      await lab.dispose();
    }
    expect(existsSync(dir)).toBe(false);
    // the lab's /24 is unreachable again, not routed out of the host, once its bridge is gone
    expect(await routeGet(`${lab.state.subnet.split('.').slice(0, 3).join('.')}.11`)).toEqual({
      ok: false,
      text: 'RTNETLINK answers: No route to host',
    });
  });
});
