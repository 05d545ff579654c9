import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HarnessError } from '../../contracts/errors.ts';
import { writeFileAtomic } from '../../helpers/atomic.ts';
import { listLinks } from '../net/ip.ts';

/**
 * Every live lab on this host holds one slot file under /run/ultracloud-proof/labs. The slot picks the lab's
 * private /24 (10.<200+x>.<y>.0/24), so parallel labs never share a subnet; the file records what the lab created
 * (bridge, namespaces) and which process owns it, so leftovers of a dead lab can be found and removed.
 */
export const registryDir = process.env.ULTRACLOUD_LAB_REGISTRY ?? '/run/ultracloud-proof/labs';
const slotCount = 50 * 256;

export interface LabRecord {
  labId: string;
  slot: number;
  /** the controller process that owns the lab */
  pid: number;
  /** the process that started the controller (`ucproof cluster up`, a test run); absent in older records */
  starterPid?: number;
  /** the controller outlives its starter (`ucproof cluster up`, ULTRACLOUD_KEEP_CLUSTER=1) */
  detached?: boolean;
  bridge: string;
  netns: string[];
  veths: string[];
  stateDir: string;
  createdAt: string;
}

export function subnetOf(slot: number): { prefix: string; gateway: string; cidr: string } {
  const prefix = `10.${200 + Math.floor(slot / 256)}.${slot % 256}`;
  return { prefix, gateway: `${prefix}.1`, cidr: `${prefix}.0/24` };
}

/**
 * The whole address space the lab may hand out (10.200.0.0 - 10.249.255.255, one /24 per slot) as the fewest
 * CIDR blocks that cover exactly that space and nothing beyond it.
 */
export function labAddressRange(): string[] {
  const toU32 = (dotted: string) => dotted.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const toDotted = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  let start = toU32(`${subnetOf(0).prefix}.0`);
  const end = toU32(`${subnetOf(slotCount - 1).prefix}.0`) + 256;
  const blocks: string[] = [];
  while (start < end) {
    let size = 2 ** 32;
    while (start % size !== 0 || start + size > end) size /= 2;
    blocks.push(`${toDotted(start)}/${32 - Math.log2(size)}`);
    start += size;
  }
  return blocks;
}

/**
 * The lab's private temporary folder (<state dir>/tmp): TMPDIR of the controller and everything it starts on the
 * host, and the parent of each node's /tmp, so nothing of a lab lands in the host's /tmp. Removed with the lab.
 */
export function labTmpDir(stateDir: string): string {
  return join(stateDir, 'tmp');
}

export function bridgeName(labId: string): string {
  return `ucb-${labId}`;
}

function slotFile(slot: number): string {
  return join(registryDir, `slot-${slot}.json`);
}

/** Where a lab's unix sockets live (one folder per lab id, removed with the lab). */
export const socketRoot = '/run/ultracloud-proof/sockets';

export function labSocketDir(labId: string): string {
  return join(socketRoot, labId);
}

/**
 * Claim a free slot atomically (O_EXCL create) whose subnet no host interface uses. The record exists before the
 * lab creates any network piece or process, so a lab interrupted at any point of its boot is found by it.
 */
export async function allocateLab(
  stateDirFor: (labId: string) => string,
  owner: { starterPid?: number; detached?: boolean } = {},
): Promise<LabRecord> {
  mkdirSync(registryDir, { recursive: true });
  const used = new Set(
    (await listLinks()).flatMap((l) => (l.addr_info ?? []).map((a) => a.local.split('.').slice(0, 3).join('.'))),
  );
  const start = randomBytes(2).readUInt16BE() % slotCount;
  for (let i = 0; i < slotCount; i++) {
    const slot = (start + i) % slotCount;
    if (used.has(subnetOf(slot).prefix)) continue;
    const labId = randomBytes(3).toString('hex');
    const record: LabRecord = {
      labId,
      slot,
      pid: process.pid,
      ...(owner.starterPid !== undefined ? { starterPid: owner.starterPid } : {}),
      ...(owner.detached !== undefined ? { detached: owner.detached } : {}),
      bridge: bridgeName(labId),
      netns: [],
      veths: [],
      stateDir: stateDirFor(labId),
      createdAt: new Date().toISOString(),
    };
    try {
      writeFileSync(slotFile(slot), JSON.stringify(record), { flag: 'wx' });
      return record;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
  }
  throw new HarnessError(`no free lab slot under ${registryDir} (all ${slotCount} subnets in use)`);
}

export async function saveLab(record: LabRecord): Promise<void> {
  await writeFileAtomic(slotFile(record.slot), JSON.stringify(record));
}

export function releaseLab(record: LabRecord): void {
  rmSync(slotFile(record.slot), { force: true });
}

export function listLabs(): LabRecord[] {
  let names: string[];
  try {
    names = readdirSync(registryDir);
  } catch {
    return [];
  }
  const out: LabRecord[] = [];
  for (const name of names) {
    if (!/^slot-\d+\.json$/.test(name)) continue;
    try {
      out.push(JSON.parse(readFileSync(join(registryDir, name), 'utf8')) as LabRecord);
    } catch {
      // a record being written right now
    }
  }
  return out;
}

export function findLab(labId: string): LabRecord | undefined {
  return listLabs().find((l) => l.labId === labId);
}

/** The labs whose state lives under this work root (<root>/lab/<id>), booted, booting or dead. */
export function labsOfWorkRoot(root: string): LabRecord[] {
  const labRoot = `${resolve(root, 'lab')}/`;
  return listLabs().filter((l) => resolve(l.stateDir).startsWith(labRoot));
}

/** The process exists and has not exited (a zombie waiting for its parent to reap it counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The record's controller is still running (its pid alive and still a lab controller, not a reused pid). */
export function controllerAlive(record: LabRecord): boolean {
  if (!processAlive(record.pid)) return false;
  try {
    return /lab\/controller\.(ts|mjs)\0/.test(readFileSync(`/proc/${record.pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Nobody holds the lab any more: `ucproof cluster up` (or ULTRACLOUD_KEEP_CLUSTER=1) left it detached, or the
 * process that started it is gone. A lab a live test run booted for itself is held by that run.
 */
export function labUnheld(record: LabRecord): boolean {
  return record.detached === true || record.starterPid === undefined || !processAlive(record.starterPid);
}
