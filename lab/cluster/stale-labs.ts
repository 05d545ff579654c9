import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '../../helpers/retry.ts';
import { ip, ipQuiet, listLinks, listNetns } from '../net/ip.ts';
import { destroyNetwork } from '../net/lab-network.ts';
import {
  controllerAlive,
  findLab,
  type LabRecord,
  labSocketDir,
  labTmpDir,
  listLabs,
  processAlive,
  releaseLab,
  subnetOf,
} from './lab-registry.ts';
import { removeLabSecrets } from './lab-secrets.ts';

const run = promisify(execFile);

/**
 * SIGKILL every process still living in a lab namespace (a node whose controller died abruptly, or one whose
 * power was cut a moment ago and whose processes are still dying) and wait until none is left, so the namespace
 * is empty when it is removed.
 */
export async function emptyNetns(netns: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pids: string[] = [];
    try {
      pids = (await ip('netns', 'pids', netns)).split(/\s+/).filter(Boolean);
    } catch {
      return;
    }
    if (!pids.length || Date.now() > deadline) return;
    await run('kill', ['-9', ...pids]).catch(() => undefined);
    await sleep(50);
  }
}

export async function destroyLabRecord(record: LabRecord): Promise<void> {
  for (const ns of record.netns) await emptyNetns(ns);
  await destroyNetwork(record);
  rmSync(labTmpDir(record.stateDir), { recursive: true, force: true });
  rmSync(labSocketDir(record.labId), { recursive: true, force: true });
  // the dead lab's SSH keys, and the operator keyrings of its subnet in the work root its state lives in
  const prefix = `${subnetOf(record.slot).prefix}.`;
  removeLabSecrets(record.stateDir, dirname(dirname(record.stateDir)), (a) => a.startsWith(prefix));
  releaseLab(record);
}

/**
 * Remove what dead labs left behind: records whose controller is gone, and `ucb-<id>` bridges or
 * `ucn-<id>-<node>` namespaces whose lab id no record claims. Returns the lab ids cleaned.
 */
export async function removeStaleLabs(): Promise<string[]> {
  const cleaned: string[] = [];
  const labs = listLabs();
  for (const record of labs) {
    if (processAlive(record.pid)) continue;
    await destroyLabRecord(record);
    cleaned.push(record.labId);
  }
  const claimed = new Set(listLabs().map((l) => l.labId));
  for (const ns of await listNetns()) {
    const m = /^ucn-([0-9a-f]{6})-/.exec(ns);
    if (m && !claimed.has(m[1] as string)) {
      await emptyNetns(ns);
      await ipQuiet('netns', 'del', ns);
      cleaned.push(m[1] as string);
    }
  }
  for (const link of await listLinks()) {
    const m = /^ucb-([0-9a-f]{6})$/.exec(link.ifname);
    if (m && !claimed.has(m[1] as string)) {
      await ipQuiet('link', 'del', link.ifname);
      cleaned.push(m[1] as string);
    }
  }
  return [...new Set(cleaned)];
}

/**
 * End one lab whatever state its boot reached: SIGTERM its controller (which stops the nodes and removes the
 * network), SIGKILL it after graceMs, then remove by the record whatever the controller did not get to.
 */
export async function endLab(record: LabRecord, graceMs = 60_000): Promise<void> {
  if (controllerAlive(record)) {
    process.kill(record.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (controllerAlive(record)) {
      if (Date.now() > deadline) {
        process.kill(record.pid, 'SIGKILL');
        break;
      }
      await sleep(100);
    }
  }
  // the controller re-saves its record while it boots: read the newest one, with every namespace it made
  const latest = findLab(record.labId);
  if (latest) await destroyLabRecord(latest);
}
