import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { generateSshKeyPair } from '../helpers/ssh-keys.ts';
import { CachePushRequest, prepareBinaryCache, pushToBinaryCache } from './cluster/binary-cache.ts';
import { allocateLab, type LabRecord, labSocketDir, labTmpDir, releaseLab, subnetOf } from './cluster/lab-registry.ts';
import {
  createLabSecretsDir,
  labClientKeyPath,
  removeLabSecrets,
  removeOrphanKeyrings,
} from './cluster/lab-secrets.ts';
import { readSnapshot, restoreSnapshot, type SnapshotNode, snapshotDir, takeSnapshot } from './cluster/lab-snapshot.ts';
import type { FaultSetting, LabSpec, LabState } from './cluster/lab-spec.ts';
import { clusterView, nodeConfigs, type PlacedNode } from './cluster/node-configs.ts';
import { emptyNetns, removeStaleLabs } from './cluster/stale-labs.ts';
import { ApiError, findNode, type NodeReport, probeHealth, startControllerApi } from './controller-api.ts';
import { ControllerFaults } from './controller-faults.ts';
import { ControllerNode } from './controller-node.ts';
import { createBridge, createNodeNetwork, destroyNetwork, recreateNodeNetwork } from './net/lab-network.ts';
import type { ServiceStatus } from './node/service-process.ts';

/**
 * The lab controller: owns one lab's bridge, namespaces and node processes, serves power and fault control on a
 * loopback port, and tears everything down when its parent's stdin pipe closes (unless --detach), or on
 * SIGTERM/SIGINT. Usage: node lab/controller.ts --spec <lab-spec.json> [--detach]
 * Prints `ULTRACLOUD_LAB_READY <controller.json>` once the nodes are started.
 */
const { values } = parseArgs({ options: { spec: { type: 'string' }, detach: { type: 'boolean', default: false } } });
if (!values.spec) {
  process.stderr.write('usage: controller.ts --spec <lab-spec.json> [--detach]\n');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(values.spec, 'utf8')) as LabSpec;

/**
 * Set by the first SIGTERM/SIGINT (or the parent's pipe closing): the boot step in flight finishes, no later one
 * starts, and teardown removes what the boot made so far. A signal that arrives while the slot is still being
 * claimed is held until the record exists, so no piece of the lab is ever made without its record.
 */
let stopping = false;
let stopReason = '';
const early = (signal: string) => {
  stopping = true;
  stopReason ||= signal;
};
process.on('SIGTERM', early);
process.on('SIGINT', early);
process.on('SIGHUP', () => undefined);

class BootStopped extends Error {}
function checkpoint(): void {
  if (stopping) throw new BootStopped(`boot stopped (${stopReason})`);
}

await removeStaleLabs();
removeOrphanKeyrings(spec.workRoot);
const lab: LabRecord = await allocateLab((id) => join(spec.workRoot, 'lab', id), {
  starterPid: process.ppid,
  detached: values.detach,
});
const labDir = lab.stateDir;
const socketDir = labSocketDir(lab.labId);
// the lab's private temporary folder: TMPDIR of this controller and of everything it starts (node supervisors
// inherit it until they mount their own /tmp), removed at teardown
const tmpDir = labTmpDir(labDir);
mkdirSync(tmpDir, { recursive: true });
process.env.TMPDIR = tmpDir;
let nodes: ControllerNode[] = [];
/** the nodes' addresses, once placed: the operator keyrings of this lab are found by them at teardown */
let addresses: string[] = [];
let tearingDown: Promise<void> | null = null;
let booting: Promise<unknown> | null = null;

async function teardown(reason: string): Promise<void> {
  stopping = true;
  stopReason ||= reason;
  tearingDown ??= (async () => {
    log(`tearing down (${reason})`);
    await booting?.catch(() => undefined);
    await Promise.allSettled(nodes.map((n) => n.stop(10_000)));
    // node state (etcd preallocates 64 MiB WAL files) means nothing once the lab is gone: consoles and logs stay
    if (process.env.ULTRACLOUD_KEEP_LAB_STATE !== '1') {
      for (const n of nodes) rmSync(join(n.config.nodeDir, 'state'), { recursive: true, force: true });
    }
    // the snapshot is a copy of every node's state, service secrets (IAM's signing key) among it: it never stays
    rmSync(snapshotDir(labDir), { recursive: true, force: true });
    // secrets mean nothing once the lab is gone either, and they never stay: the SSH keys, the keyrings
    removeLabSecrets(labDir, spec.workRoot, (a) => addresses.includes(a));
    // a node whose power was cut is still dying: its namespace holds no process when it goes
    for (const ns of lab.netns) await emptyNetns(ns);
    await destroyNetwork(lab);
    rmSync(tmpDir, { recursive: true, force: true });
    rmSync(socketDir, { recursive: true, force: true });
    releaseLab(lab);
    log('torn down');
  })();
  return tearingDown;
}

function log(text: string): void {
  process.stderr.write(`[lab ${lab.labId}] ${text}\n`);
}

process.off('SIGTERM', early);
process.off('SIGINT', early);
process.on('SIGTERM', () => void teardown('SIGTERM').then(() => process.exit(0)));
process.on('SIGINT', () => void teardown('SIGINT').then(() => process.exit(0)));
if (!values.detach) {
  process.stdin.on('close', () => void teardown('parent pipe closed').then(() => process.exit(0)));
  process.stdin.on('error', () => void teardown('parent pipe error').then(() => process.exit(0)));
  process.stdin.resume();
}
if (stopping) {
  await teardown(stopReason);
  process.exit(0);
}

async function boot(): Promise<{ state: LabState; statePath: string }> {
  checkpoint();
  createLabSecretsDir(labDir);
  mkdirSync(socketDir, { recursive: true });
  const keys = generateSshKeyPair(`ultracloud-lab-${lab.labId}`);
  const sshKeyPath = labClientKeyPath(labDir);
  writeFileSync(sshKeyPath, keys.private, { mode: 0o600 });
  writeFileSync(`${sshKeyPath}.pub`, `${keys.public}\n`);
  const cachePublicKey = prepareBinaryCache(labDir, lab.labId);

  checkpoint();
  await createBridge(lab);
  const placed: PlacedNode[] = [];
  for (const [i, n] of spec.nodes.entries()) {
    checkpoint();
    placed.push({ name: n.name, ...(await createNodeNetwork(lab, n.name, i)) });
  }
  const view = clusterView(spec, placed);
  addresses = view.map((n) => n.address);
  const hostsFile = join(labDir, 'hosts');
  writeFileSync(hostsFile, ['127.0.0.1 localhost', ...view.map((n) => `${n.address} ${n.name}`), ''].join('\n'));
  const configs = nodeConfigs({
    spec,
    labId: lab.labId,
    labDir,
    socketDir,
    hostsFile,
    authorizedKey: keys.public,
    view,
    cachePublicKey,
  });
  const faults = new ControllerFaults(configs);
  for (const f of spec.faults) await faults.set(f);
  for (const c of configs) {
    mkdirSync(c.nodeDir, { recursive: true });
    writeFileSync(join(c.nodeDir, 'node.json'), JSON.stringify(c, null, 2));
  }
  checkpoint();
  nodes = configs.map((c, i) => new ControllerNode(c, placed[i]?.netns as string));
  for (const n of nodes) n.start();

  const report = async (n: ControllerNode): Promise<NodeReport> => {
    const base = { name: n.config.node, role: n.config.role, address: n.config.address, state: n.state };
    if (n.state === 'stopped') return { ...base, boot: null, ready: false, services: [] };
    let status: { boot: number; ready: boolean; services: ServiceStatus[] } | null = null;
    try {
      status = await n.control('GET', '/status', 3_000);
    } catch {
      // the supervisor is still starting
    }
    const services = await Promise.all(
      (status?.services ?? []).map(async (s) => ({ ...s, health: await probeHealth(s.listen, s.name) })),
    );
    return { ...base, boot: status?.boot ?? null, ready: status?.ready ?? false, services };
  };

  // snapshot and restore: one at a time, never beside each other; `used`: a lane used the lab since the last one
  let used = false;
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const snapshotNodes = (): SnapshotNode[] =>
    nodes.map((n, i) => ({
      name: n.config.node,
      nodeDir: n.config.nodeDir,
      tmpDir: n.config.tmpDir,
      netns: n.netns,
      get state() {
        return n.state;
      },
      kill: () => n.kill(),
      start: () => n.start(),
      resetNetwork: () => recreateNodeNetwork(lab, n.config.node, i),
    }));
  // every node ready with every service healthy, polled often: a restore answers as soon as it is back
  const allReady = async (timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const reports = await Promise.all(nodes.map(report));
      const waiting = reports.filter((r) => !r.ready || r.services.some((s) => s.health !== 'healthy'));
      if (!waiting.length) return;
      last = waiting
        .map(
          (r) =>
            `${r.name}(${
              r.services
                .filter((s) => s.health !== 'healthy')
                .map((s) => `${s.name}=${s.health}`)
                .join(' ') || (r.ready ? 'ready' : 'booting')
            })`,
        )
        .join(', ');
      if (Date.now() > deadline)
        throw new ApiError(504, `restore: not every node ready and healthy after ${timeoutMs} ms: ${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  checkpoint();
  const server = await startControllerApi({
    nodes: () => Promise.all(nodes.map(report)),
    power: async (name, action) => {
      const n = findNode(nodes, name);
      if (action === 'start') n.start();
      else if (action === 'stop') await n.stop();
      else if (action === 'kill') await n.kill();
      else if (action === 'restart') {
        await n.stop();
        n.start();
      } else throw new ApiError(400, `power action must be start, stop, kill or restart, got "${action}"`);
      return report(n);
    },
    restartService: (name, service) => findNode(nodes, name).control('POST', `/services/${service}/restart`),
    setFault: async (body) => {
      await faults.set(body as FaultSetting);
      return faults.active();
    },
    clearFault: async (body) => {
      await faults.clear(body as { service: string; fault?: string; node?: string });
      return faults.active();
    },
    activeFaults: async () => faults.active(),
    takeSnapshot: () =>
      exclusive(async () => {
        const record = await takeSnapshot(labDir, snapshotNodes());
        used = false;
        return record;
      }),
    snapshot: async () => ({ snapshot: readSnapshot(labDir), used }),
    markUsed: async () => {
      used = true;
      return { used };
    },
    restore: (body) =>
      exclusive(async () => {
        const { timeoutMs = 180_000, ifUsed = false } = body as { timeoutMs?: unknown; ifUsed?: unknown };
        if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
          throw new ApiError(400, `restore: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
        if (typeof ifUsed !== 'boolean')
          throw new ApiError(400, `restore: ifUsed must be true or false, got ${ifUsed}`);
        if (!readSnapshot(labDir)) throw new ApiError(409, 'restore: this lab has no snapshot (POST /snapshot first)');
        if (ifUsed && !used) return { restored: false };
        const report = await restoreSnapshot(labDir, snapshotNodes(), () => allReady(timeoutMs));
        used = false;
        return { restored: true, ...report };
      }),
    pushToBinaryCache: async (body) => {
      const parsed = CachePushRequest.safeParse(body);
      if (!parsed.success)
        throw new ApiError(
          400,
          `binary-cache push: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      if (!cachePublicKey)
        throw new ApiError(503, 'the lab has no binary cache key: nix-store is not installed on this host');
      await pushToBinaryCache(labDir, parsed.data.paths);
      return { paths: parsed.data.paths };
    },
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const state: LabState = {
    labId: lab.labId,
    controllerPid: process.pid,
    controllerUrl: `http://127.0.0.1:${port}`,
    labDir,
    subnet: subnetOf(lab.slot).cidr,
    bridge: lab.bridge,
    sshKeyPath,
    source: spec.source,
    nodes: view,
  };
  const statePath = join(labDir, 'controller.json');
  await writeFileAtomic(statePath, JSON.stringify(state, null, 2));
  checkpoint();
  return { state, statePath };
}

const boots = boot();
booting = boots;
boots.then(
  ({ state, statePath }) => {
    log(`ready: ${spec.nodes.length} nodes on ${state.subnet}, API ${state.controllerUrl}`);
    process.stdout.write(`ULTRACLOUD_LAB_READY ${statePath}\n`);
  },
  async (err: unknown) => {
    // a stop during boot: the signal's own handler tears down and exits
    if (err instanceof BootStopped) return;
    log(`boot failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.stdout.write(`ULTRACLOUD_LAB_FAILED ${err instanceof Error ? err.message : String(err)}\n`);
    await teardown('boot failed');
    process.exit(1);
  },
);
