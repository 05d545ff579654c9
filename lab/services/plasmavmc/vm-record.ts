import type { VmNic } from '../../../contracts/ports/plasmavmc.ts';
import type { AcceleratorMode } from '../../../helpers/qemu-args.ts';
import { HttpError } from '../common/http-service.ts';
import type { VmVolume } from './volume.ts';

export type VmState = 'booting' | 'running' | 'stopped' | 'failed' | 'migrating';

/** One tenant VM as plasmavmc keeps it (durable, in plasmavmc.json). */
export interface VmRecord {
  id: string;
  name: string;
  image: 'webapp';
  memoryMiB: number;
  diskMiB: number;
  /** the VM's disk on shared storage (visible to every worker: what migration relies on) */
  diskPath: string;
  /** the CoronaFS volume that is the disk (null on a node without CoronaFS: a file in the shared directory) */
  volume: VmVolume | null;
  /** what the operator asked for; a restarted worker boots every VM that should run */
  desired: 'running' | 'stopped';
  state: VmState;
  node: string;
  /** the web app's port forward on this worker's address (a VM without a PrismNet port) */
  forward: { host: string; port: number; guestPort: number } | null;
  /** the VM's NIC on its PrismNet port (a tap on the tenant bridge), or null for user-mode NAT with a forward */
  nic: VmNic | null;
  /** the LightningStor bucket the web app keeps its state in (written by the VM itself), or null: on its disk */
  stateBucket: string | null;
  accelerator: AcceleratorMode | null;
  pid: number | null;
  /** QEMU start to the guest's webapp.ready marker, last boot */
  bootMs: number | null;
  boots: number;
  detail: string | null;
  createdAt: string;
  updatedAt: string;
  migratedFrom: string | null;
}

export interface PlasmavmcState {
  vms: Record<string, VmRecord>;
}

export interface CreateVmSpec {
  name: string;
  memoryMiB: number;
  diskMiB: number;
  start: boolean;
  port: string | null;
  stateBucket: string | null;
}

/** Validate POST /v1/vms; a bad field is a 400 naming it. */
export function parseCreateVm(body: unknown): CreateVmSpec {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.name !== 'string' || !/^[a-z][a-z0-9-]{0,39}$/.test(b.name)) {
    throw new HttpError(400, 'name must be 1-40 characters of a-z, 0-9 and "-", starting with a letter');
  }
  if (b.image !== undefined && b.image !== 'webapp') throw new HttpError(400, 'image must be "webapp"');
  const int = (key: string, fallback: number, min: number, max: number) => {
    const v = b[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new HttpError(400, `${key} must be an integer from ${min} to ${max}`);
    }
    return v;
  };
  if (b.start !== undefined && typeof b.start !== 'boolean') throw new HttpError(400, 'start must be a boolean');
  if (b.port !== undefined && (typeof b.port !== 'string' || !/^[\w-]{1,64}$/.test(b.port))) {
    throw new HttpError(400, 'port must be a PrismNet port id');
  }
  if (
    b.stateBucket !== undefined &&
    (typeof b.stateBucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,62}$/.test(b.stateBucket))
  ) {
    throw new HttpError(400, 'stateBucket must be a LightningStor bucket name');
  }
  if (b.stateBucket !== undefined && b.port === undefined) {
    throw new HttpError(400, 'stateBucket needs a port: the VM reaches LightningStor over its PrismNet port');
  }
  return {
    name: b.name,
    memoryMiB: int('memoryMiB', 128, 64, 2048),
    diskMiB: int('diskMiB', 16, 1, 1024),
    start: b.start !== false,
    port: (b.port as string | undefined) ?? null,
    stateBucket: (b.stateBucket as string | undefined) ?? null,
  };
}
