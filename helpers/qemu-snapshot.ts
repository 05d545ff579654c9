import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { BlockedError, HarnessError } from '../contracts/errors.ts';
import type { QmpClient } from './qemu-qmp.ts';
import { eventually } from './retry.ts';

/**
 * A running guest's whole state (CPU, RAM, devices) saved to a file and a new QEMU started from it instead of a boot:
 * QEMU's migration to a file (`migrate` to `exec:cat > FILE`, what `virsh save` does) and `-incoming exec:cat FILE`.
 * The restored QEMU must have the same devices as the saved one; the guest resumes mid-instruction, its own clock
 * where it stopped (the caller resyncs it, e.g. from the RTC, which QEMU keeps on the host's time).
 */

/** QEMU's answer to `query-migrate`, as far as a save reads it. */
const MigrationInfo = z.object({
  status: z.string().optional(),
  'error-desc': z.string().optional(),
  'blocked-reasons': z.array(z.string()).optional(),
  ram: z.object({ transferred: z.number(), total: z.number() }).optional(),
});
export type MigrationInfo = z.infer<typeof MigrationInfo>;

async function queryMigrate(qmp: QmpClient): Promise<MigrationInfo> {
  return MigrationInfo.parse(await qmp.execute('query-migrate'));
}

/**
 * What keeps this guest's state from being saved, in QEMU's words (e.g. a mounted 9p share: "Migration is disabled
 * when VirtFS export path ... is mounted in the guest"); empty when it can be.
 */
export async function saveBlockers(qmp: QmpClient): Promise<string[]> {
  return (await queryMigrate(qmp))['blocked-reasons'] ?? [];
}

export interface SavedState {
  file: string;
  bytes: number;
  ms: number;
}

/**
 * Pause the guest and write its state to `file`. The guest stays paused (quit it, or `cont` to go on). A guest QEMU
 * cannot save ends blocked, naming QEMU's reasons; a save QEMU reports failed is a harness error with its words.
 */
export async function saveGuestState(qmp: QmpClient, file: string, timeoutMs = 300_000): Promise<SavedState> {
  const blockers = await saveBlockers(qmp);
  if (blockers.length) throw new BlockedError(blockers.map((b) => `QEMU saving the VM state: ${b}`));
  const t0 = performance.now();
  await qmp.execute('stop');
  await qmp.execute('migrate', { uri: `exec:cat > '${file.replaceAll("'", "'\\''")}'` });
  const done = await eventually(
    async () => {
      const info = await queryMigrate(qmp);
      if (info.status === 'completed' || info.status === 'failed' || info.status === 'cancelled') return info;
      throw new Error(`migration ${info.status ?? 'not started'}`);
    },
    { timeoutMs, intervalMs: 50, maxIntervalMs: 500, what: `QEMU saving the VM state to ${file}` },
  );
  if (done.status !== 'completed')
    throw new HarnessError(`QEMU could not save the VM state to ${file}: ${done['error-desc'] ?? done.status}`);
  return { file, bytes: (await stat(file)).size, ms: Math.round(performance.now() - t0) };
}

/** The QEMU arguments that start a guest from a saved state instead of booting it (it waits paused). */
export function restoreArgs(file: string): string[] {
  return ['-incoming', `exec:cat '${file.replaceAll("'", "'\\''")}'`];
}

/** Wait until a QEMU started with restoreArgs has loaded the state, then run the guest. Returns the time taken. */
export async function resumeRestored(qmp: QmpClient, timeoutMs = 300_000): Promise<number> {
  const t0 = performance.now();
  const status = await eventually(
    async () => {
      const s = z.object({ status: z.string() }).parse(await qmp.execute('query-status')).status;
      if (s === 'inmigrate') throw new Error('still loading the saved state');
      return s;
    },
    { timeoutMs, intervalMs: 50, maxIntervalMs: 500, what: 'QEMU loading the saved VM state' },
  );
  if (status !== 'paused' && status !== 'running' && status !== 'postmigrate')
    throw new HarnessError(`QEMU did not load the saved VM state: it is ${status}`);
  const info = await queryMigrate(qmp);
  if (info.status === 'failed') throw new HarnessError(`QEMU did not load the saved VM state: ${info['error-desc']}`);
  if (status !== 'running') await qmp.execute('cont');
  return Math.round(performance.now() - t0);
}
