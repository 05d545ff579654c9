import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workRoot } from '../proof-root.ts';
import type { VmRunnerNode } from './node.ts';
import { quitVmRunner, vmRunnerPid } from './process.ts';

/** Where kept quickstart VMs are recorded: <work root>/quickstart-vms/<host>-<pid>.json (the runner's plain record). */
const keptDir = (root: string) => join(root, 'quickstart-vms');

/** Record a VM left running on purpose (ULTRACLOUD_QUICKSTART_KEEP_VM=1), so `cluster stop` and `clean` end it. */
export async function recordKeptQuickstartVm(node: VmRunnerNode, root = workRoot()): Promise<string> {
  await mkdir(keptDir(root), { recursive: true });
  const pid = await vmRunnerPid(node);
  const path = join(keptDir(root), `${node.name}-${pid ?? 'stopped'}.json`);
  await writeFile(path, `${JSON.stringify(node, null, 2)}\n`, { mode: 0o600 });
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
      const node = JSON.parse(await readFile(path, 'utf8')) as VmRunnerNode;
      if (await vmRunnerPid(node)) {
        await quitVmRunner(node);
        stopped.push(node.name);
      }
    } finally {
      await rm(path, { force: true });
    }
  }
  return stopped;
}
