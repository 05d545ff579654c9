import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workRoot } from '../profiles/paths.ts';
import { replaceSymlink } from './atomic.ts';

export { projectRoot, workRoot } from '../profiles/paths.ts';

/** A dated, sortable run id: 20261125T173000Z-1a2b. */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The run id shared by every lane of one invocation (set once by the config, inherited by workers). */
export function currentRunId(env: NodeJS.ProcessEnv = process.env): string {
  if (!env.ULTRACLOUD_RUN_ID) env.ULTRACLOUD_RUN_ID = newRunId();
  return env.ULTRACLOUD_RUN_ID;
}

/** Create work/<lane>/<run-id>/ and point work/<lane>/latest at it. */
export async function openProofRoot(lane: string, runId: string, root = workRoot()): Promise<string> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(lane)) throw new Error(`invalid lane name for a proof root: "${lane}"`);
  const dir = join(root, lane, runId);
  await mkdir(dir, { recursive: true });
  await replaceSymlink(dir, join(root, lane, 'latest'));
  return dir;
}

/** A fresh temporary folder under the work root's disposable `tmp/` (created when missing). */
export async function workTempDir(prefix: string, root = workRoot()): Promise<string> {
  const parent = join(root, 'tmp');
  await mkdir(parent, { recursive: true });
  return await mkdtemp(join(parent, prefix));
}

/**
 * Move what an earlier attempt left in a proof root (result.json, history.jsonl, artifacts, failure/) into
 * attempts/<n>/, so the next attempt starts in an empty root and both stay readable.
 */
export async function archiveAttempt(proofRoot: string, n: number): Promise<string> {
  const dest = join(proofRoot, 'attempts', String(n));
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(proofRoot)) {
    if (entry === 'attempts') continue;
    await rename(join(proofRoot, entry), join(dest, entry));
  }
  return dest;
}

/** sun_path holds 108 bytes on Linux; a little room is left for the tools that append to a socket's name. */
const maxSocketPath = 100;

/**
 * A unix socket's path in `dir` (the state of whatever owns the socket), so a socket left behind stays with that
 * state, never in the host's /tmp. A folder too deep for a socket path gets <tmp>/ucp-<hash of dir>-<name>
 * instead, which the socket's owner removes with it.
 */
export function socketPathIn(dir: string, name: string): string {
  const path = join(dir, name);
  if (Buffer.byteLength(path) <= maxSocketPath) return path;
  const tag = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  return join(tmpdir(), `ucp-${tag}-${name}`);
}

/** A unix socket's path under the work root's `run/` folder (created when missing); see socketPathIn. */
export function workSocketPath(name: string, root = workRoot()): string {
  const dir = join(root, 'run');
  mkdirSync(dir, { recursive: true });
  return socketPathIn(dir, name);
}
