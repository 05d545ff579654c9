import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../helpers/atomic.ts';
import { workRoot } from '../../helpers/proof-root.ts';
import { processAlive } from './lab-registry.ts';
import type { LabState } from './lab-spec.ts';

/** work/lab/current.json: the detached lab `ucproof cluster up` (or ULTRACLOUD_KEEP_CLUSTER=1) left running. */
export function currentLabFile(root = workRoot()): string {
  return join(root, 'lab', 'current.json');
}

export async function setCurrentLab(state: LabState, root = workRoot()): Promise<void> {
  await writeFileAtomic(currentLabFile(root), JSON.stringify(state, null, 2));
}

/** The current lab if its controller is still alive. */
export function currentLab(root = workRoot()): LabState | null {
  try {
    const state = JSON.parse(readFileSync(currentLabFile(root), 'utf8')) as LabState;
    return processAlive(state.controllerPid) ? state : null;
  } catch {
    return null;
  }
}

export function clearCurrentLab(root = workRoot()): void {
  rmSync(currentLabFile(root), { force: true });
}
