import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { writeFileAtomic } from '../../helpers/atomic.ts';
import { ip } from '../net/ip.ts';
import { emptyNetns } from './stale-labs.ts';

const run = promisify(execFile);

/**
 * A lab's booted state, kept once so every lane can start from it again: each node's state (every service's data:
 * etcd's members and log, SQLite, JSON stores, Nix stores, VM disks), its /root and the moment it was taken. The
 * node processes are frozen (SIGSTOP) while their folders are copied, so the copy is what a power loss at that
 * instant would leave, which every lab service recovers from; they run on afterwards as if nothing happened.
 */
export const SnapshotRecord = z.object({
  takenAt: z.string(),
  /** the boot of each node the snapshot was taken in */
  nodes: z.array(z.object({ name: z.string(), bytes: z.number().int().nonnegative() })),
  frozenMs: z.number().nonnegative(),
});
export type SnapshotRecord = z.infer<typeof SnapshotRecord>;

/** What a restore did and how long each part took. */
export interface RestoreReport {
  restoredAt: string;
  /** from the request to every node ready with every service healthy */
  totalMs: number;
  /** power cut and namespaces emptied */
  stopMs: number;
  /** state folders replaced and namespaces' network rebuilt */
  resetMs: number;
  /** nodes started to every node ready and healthy */
  bootMs: number;
  snapshot: SnapshotRecord;
}

/** What snapshot and restore need of one node (the controller's ControllerNode). */
export interface SnapshotNode {
  readonly name: string;
  readonly nodeDir: string;
  readonly tmpDir: string;
  readonly netns: string;
  readonly state: 'running' | 'stopped';
  kill(): Promise<void>;
  start(): void;
  /** the node's namespace made anew, as the controller first made it (nothing a service added to it is left) */
  resetNetwork(): Promise<void>;
}

const kept = ['state', 'root'] as const;

export function snapshotDir(labDir: string): string {
  return join(labDir, 'snapshot');
}

async function namespacePids(netns: string): Promise<number[]> {
  const out = await ip('netns', 'pids', netns).catch(() => '');
  return out
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 1);
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

async function du(path: string): Promise<number> {
  try {
    const { stdout } = await run('du', ['-sb', path]);
    return Number(stdout.split(/\s/)[0]) || 0;
  } catch {
    return 0;
  }
}

/** cp -a keeps owners, modes, times and sparse files (etcd's preallocated WAL, VM disks). */
async function copyTree(from: string, to: string): Promise<void> {
  rmSync(to, { recursive: true, force: true });
  if (!existsSync(from)) return;
  await run('cp', ['-a', '--sparse=always', from, to]);
}

/**
 * Take the lab's snapshot: every node must be running. All nodes are frozen together (so no node sees another
 * move on meanwhile), their state and /root copied, and thawed again.
 */
export async function takeSnapshot(labDir: string, nodes: readonly SnapshotNode[]): Promise<SnapshotRecord> {
  const stopped = nodes.filter((n) => n.state !== 'running').map((n) => n.name);
  if (stopped.length) throw new Error(`a snapshot needs every node running; stopped: ${stopped.join(', ')}`);
  const dir = snapshotDir(labDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pids = (await Promise.all(nodes.map((n) => namespacePids(n.netns)))).flat();
  const t0 = performance.now();
  signalAll(pids, 'SIGSTOP');
  try {
    await Promise.all(
      nodes.map(async (n) => {
        mkdirSync(join(dir, n.name), { recursive: true });
        for (const part of kept) await copyTree(join(n.nodeDir, part), join(dir, n.name, part));
      }),
    );
  } finally {
    signalAll(pids, 'SIGCONT');
  }
  const frozenMs = Math.round(performance.now() - t0);
  const record: SnapshotRecord = {
    takenAt: new Date().toISOString(),
    nodes: await Promise.all(nodes.map(async (n) => ({ name: n.name, bytes: await du(join(dir, n.name)) }))),
    frozenMs,
  };
  await writeFileAtomic(join(dir, 'snapshot.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

export function readSnapshot(labDir: string): SnapshotRecord | null {
  try {
    return SnapshotRecord.parse(JSON.parse(readFileSync(join(snapshotDir(labDir), 'snapshot.json'), 'utf8')));
  } catch {
    return null;
  }
}

/**
 * Put every node back to the snapshot: power cut on all of them, each namespace emptied and its network reset,
 * state and /root replaced by the snapshot's copy, /tmp emptied, then all started together. `ready` resolves once
 * every node is ready with every service healthy (the caller's wait). The nodes' fault switches are left as they
 * are: a fault set before the restore is on from the restored nodes' first moment, as it would be at boot.
 */
export async function restoreSnapshot(
  labDir: string,
  nodes: readonly SnapshotNode[],
  ready: () => Promise<void>,
): Promise<RestoreReport> {
  const snapshot = readSnapshot(labDir);
  if (!snapshot) throw new Error(`lab ${labDir} has no snapshot to restore (none was taken)`);
  const t0 = performance.now();
  await Promise.all(nodes.map((n) => n.kill()));
  await Promise.all(nodes.map((n) => emptyNetns(n.netns)));
  const t1 = performance.now();
  const dir = snapshotDir(labDir);
  await Promise.all(
    nodes.map(async (n) => {
      await n.resetNetwork();
      for (const part of kept) await copyTree(join(dir, n.name, part), join(n.nodeDir, part));
      rmSync(n.tmpDir, { recursive: true, force: true });
      mkdirSync(n.tmpDir, { recursive: true });
    }),
  );
  const t2 = performance.now();
  for (const n of nodes) n.start();
  await ready();
  const t3 = performance.now();
  return {
    restoredAt: new Date().toISOString(),
    totalMs: Math.round(t3 - t0),
    stopMs: Math.round(t1 - t0),
    resetMs: Math.round(t2 - t1),
    bootMs: Math.round(t3 - t2),
    snapshot,
  };
}
