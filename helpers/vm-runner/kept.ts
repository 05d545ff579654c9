import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { workRoot } from '../proof-root.ts';
import type { VmRunnerNode } from './node.ts';
import { quitVmRunner, vmRunnerPid } from './process.ts';

/** Where kept quickstart VMs are recorded: <work root>/quickstart-vms/<host>-<pid>.json. */
const keptDir = (root: string) => join(root, 'quickstart-vms');

const KeptVm = z.object({
  node: z.custom<VmRunnerNode>((v) => !!v && typeof v === 'object' && typeof (v as VmRunnerNode).name === 'string'),
  /** the runner's process group, and its start time (clock ticks since boot) so a reused pid is not mistaken */
  pid: z.number().int().positive(),
  startTime: z.string(),
});

/** The start time of a process (field 22 of /proc/<pid>/stat), or null when it is gone. */
async function startTimeOf(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return null;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

/**
 * Record a VM left running on purpose (ULTRACLOUD_QUICKSTART_KEEP_VM=1), so `cluster stop` and `clean` end it:
 * the runner's record and its process, enough to find it even when its state folder is gone.
 */
export async function recordKeptQuickstartVm(node: VmRunnerNode, root = workRoot()): Promise<string> {
  const pid = await vmRunnerPid(node);
  if (!pid) throw new Error(`the quickstart VM ${node.name} is not running; nothing to keep`);
  await mkdir(keptDir(root), { recursive: true });
  const path = join(keptDir(root), `${node.name}-${pid}.json`);
  const record = { node, pid, startTime: (await startTimeOf(pid)) ?? '' };
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** End every kept quickstart VM of this work root; returns the names of those that were still running. */
export async function stopKeptQuickstartVms(root = workRoot()): Promise<string[]> {
  const dir = keptDir(root);
  const entries = await readdir(dir).catch(() => [] as string[]);
  const stopped: string[] = [];
  for (const entry of entries.filter((e) => e.endsWith('.json'))) {
    const path = join(dir, entry);
    try {
      const parsed = KeptVm.safeParse(JSON.parse(await readFile(path, 'utf8')));
      if (!parsed.success) continue;
      const { node, pid, startTime } = parsed.data;
      if (await vmRunnerPid(node)) {
        await quitVmRunner(node);
        stopped.push(node.name);
      } else if (startTime && (await startTimeOf(pid)) === startTime) {
        // its pid file went with its state folder: the recorded process group, the same process still
        process.kill(-pid, 'SIGKILL');
        for (let i = 0; i < 100 && (await startTimeOf(pid)) === startTime; i++) await sleep(100);
        stopped.push(node.name);
      }
    } finally {
      await rm(path, { force: true });
    }
  }
  return stopped;
}
