import { existsSync } from 'node:fs';
import { requestJson } from '../../../helpers/http.ts';
import { sleep } from '../../../helpers/retry.ts';
import { HttpError } from '../common/http-service.ts';
import type { ServiceEnvironment } from '../common/service-env.ts';
import { forwardPort } from './forward-port.ts';
import type { VmRecord } from './vm-record.ts';
import type { VmRuntime } from './vm-runtime.ts';
import { handOffVolume } from './volume.ts';

export interface MigrationReport {
  vm: VmRecord;
  from: string;
  to: string;
  totalMs: number;
  /** QEMU's reported downtime of the final stop-and-copy phase */
  downtimeMs: number | null;
  transferredBytes: number | null;
}

interface QueryMigrate {
  status?: string;
  'error-desc'?: string;
  downtime?: number;
  ram?: { transferred?: number };
}

/** The plasmavmc API of another worker, from the cluster description. */
export function peerUrl(env: ServiceEnvironment, node: string): string {
  const peer = env.cluster.nodes.find((n) => n.name === node);
  const endpoint = peer?.services.plasmavmc;
  if (!endpoint) throw new HttpError(400, `destination "${node}" runs no plasmavmc in this cluster`);
  return `http://${endpoint.host}:${endpoint.port}`;
}

/** Where the destination's QEMU takes the migration stream: a free TCP port on this worker's lab address. */
export async function migrationUri(host: string): Promise<string> {
  return `tcp:${host}:${await forwardPort(host)}`;
}

/**
 * KVM shared-storage live migration: the destination starts QEMU waiting on a TCP port of its lab address, the
 * source streams RAM and device state through QMP `migrate`, the destination resumes the guest with the same
 * disk, and the source quits; the disk's CoronaFS volume is then attached to the destination. On failure the source
 * resumes and the destination discards its QEMU.
 */
export async function migrateOut(
  vm: VmRecord,
  destination: string,
  env: ServiceEnvironment,
  runtime: VmRuntime,
  options: { keepSource?: boolean } = {},
): Promise<MigrationReport> {
  const guest = runtime.guest(vm.id);
  if (!guest?.running || vm.state !== 'running') {
    throw new HttpError(409, `VM ${vm.name} is ${vm.state}; only a running VM migrates`);
  }
  if (destination === env.node) throw new HttpError(400, `VM ${vm.name} already runs on ${env.node}`);
  const dest = peerUrl(env, destination);
  const started = performance.now();
  const incoming = await requestJson<{ uri: string }>('POST', `${dest}/v1/migrations/incoming`, {
    body: { vm, source: env.node },
    timeoutMs: 60_000,
  });
  let status: QueryMigrate = {};
  let report: MigrationReport;
  try {
    await guest.qmp.execute('migrate', { uri: incoming.uri });
    const deadline = performance.now() + 180_000;
    for (;;) {
      status = await guest.qmp.execute<QueryMigrate>('query-migrate');
      if (status.status === 'completed') break;
      if (status.status === 'failed' || status.status === 'cancelled') {
        throw new Error(`QEMU migration ${status.status}: ${status['error-desc'] ?? 'no detail'}`);
      }
      if (performance.now() > deadline) throw new Error(`migration still "${status.status}" after 180000 ms`);
      await sleep(100);
    }
    const moved = await requestJson<VmRecord>('POST', `${dest}/v1/migrations/${vm.id}/commit`, { timeoutMs: 30_000 });
    if (!options.keepSource) await runtime.discard(vm.id);
    report = {
      vm: moved,
      from: env.node,
      to: destination,
      totalMs: Math.round(performance.now() - started),
      downtimeMs: status.downtime ?? null,
      transferredBytes: status.ram?.transferred ?? null,
    };
  } catch (err) {
    await requestJson('POST', `${dest}/v1/migrations/${vm.id}/abort`, { timeoutMs: 30_000 }).catch(() => {});
    await guest.qmp.execute('cont').catch(() => {});
    throw new HttpError(502, `migration of ${vm.name} to ${destination} failed: ${(err as Error).message}`);
  }
  // the guest runs on the destination now: a failed hand-over is reported, never answered by aborting it
  if (vm.volume) {
    await handOffVolume(env, vm.volume, env.node, destination).catch((err: unknown) => {
      throw new HttpError(
        502,
        `${vm.name} runs on ${destination}, but its volume ${vm.volume?.name} was not handed over: ${(err as Error).message}`,
      );
    });
  }
  return report;
}

/** Destination side: the disk must already be on storage this worker sees (no block copy in this lab). */
export function assertSharedDisk(vm: VmRecord, node: string): void {
  if (!existsSync(vm.diskPath)) {
    throw new HttpError(
      409,
      `disk ${vm.diskPath} of ${vm.name} is not on storage ${node} can see (shared storage required)`,
    );
  }
}
