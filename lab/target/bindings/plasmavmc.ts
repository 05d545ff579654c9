import { AbortError } from 'p-retry';
import { callJson, HttpCallError } from '../../../helpers/http.ts';
import { eventually } from '../../../helpers/retry.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export interface WorkerRegistration {
  node: string;
  address: string;
  /** e.g. ["HYPERVISOR_TYPE_KVM"]; the supported surface advertises exactly that */
  hypervisors: string[];
  capacity: { vcpus: number; memoryMiB: number };
  allocated: { vms: number; memoryMiB: number };
  accelerator: 'kvm' | 'tcg' | null;
  acceleratorReason: string | null;
}

export type VmState = 'booting' | 'running' | 'stopped' | 'failed' | 'migrating';

export interface Vm {
  id: string;
  name: string;
  image: string;
  memoryMiB: number;
  diskMiB: number;
  diskPath: string;
  desired: 'running' | 'stopped';
  state: VmState;
  node: string;
  /** the web app's forward on the worker: http://host:port/ */
  forward: { host: string; port: number; guestPort: number } | null;
  accelerator: 'kvm' | 'tcg' | null;
  pid: number | null;
  bootMs: number | null;
  boots: number;
  detail: string | null;
  migratedFrom: string | null;
}

export interface MigrationReport {
  vm: Vm;
  from: string;
  to: string;
  totalMs: number;
  downtimeMs: number | null;
  transferredBytes: number | null;
}

/** PlasmaVMC: worker registrations and the VM lifecycle (create, start/stop/restart, console, migration). */
export interface PlasmavmcPort {
  /** the same port aimed at one worker's instance */
  at(node: string): PlasmavmcPort;
  /** this worker's registration */
  worker(): Promise<WorkerRegistration>;
  /** every worker's registration, in topology order */
  workers(): Promise<WorkerRegistration[]>;
  createVm(spec: { name: string; memoryMiB?: number; diskMiB?: number; start?: boolean }): Promise<Vm>;
  listVms(): Promise<Vm[]>;
  /** the VM (by id or name), or null when this worker has none such */
  vm(id: string): Promise<Vm | null>;
  startVm(id: string): Promise<Vm>;
  stopVm(id: string): Promise<Vm>;
  restartVm(id: string): Promise<Vm>;
  deleteVm(id: string): Promise<void>;
  console(id: string): Promise<string>;
  /** live-migrate to another worker (shared storage); call on the worker that runs the VM */
  migrateVm(id: string, destination: string): Promise<MigrationReport>;
  /** wait until the VM reports `state` (fails early when it reports failed) */
  waitForState(id: string, state: VmState, timeoutMs?: number): Promise<Vm>;
}

/** The web app's base URL through the VM's port forward. */
export function webappUrl(vm: Vm): string {
  if (!vm.forward) throw new Error(`VM ${vm.name} has no port forward (state ${vm.state})`);
  return `http://${vm.forward.host}:${vm.forward.port}`;
}

export function createPlasmavmcPort(binding: PortBinding, node?: string): PlasmavmcPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (path: string) => `${instanceUrl(binding, 'plasmavmc', node)}${path}`;
  const vmUrl = (id: string, rest = '') => url(`/v1/vms/${encodeURIComponent(id)}${rest}`);
  const port: PlasmavmcPort = {
    at: (n) => createPlasmavmcPort(binding, n),
    worker: () => callJson('GET', url('/v1/worker')),
    workers: () =>
      Promise.all(binding.instances('plasmavmc').map((i) => createPlasmavmcPort(binding, i.node).worker())),
    createVm: (spec) => callJson('POST', url('/v1/vms'), { body: spec, timeoutMs: 120_000 }),
    listVms: async () => (await callJson<{ vms: Vm[] }>('GET', url('/v1/vms'))).vms,
    async vm(id) {
      try {
        return await callJson<Vm>('GET', vmUrl(id));
      } catch (err) {
        if (err instanceof HttpCallError && err.status === 404) return null;
        throw err;
      }
    },
    startVm: (id) => callJson('POST', vmUrl(id, '/start'), { timeoutMs: 120_000 }),
    stopVm: (id) => callJson('POST', vmUrl(id, '/stop'), { timeoutMs: 60_000 }),
    restartVm: (id) => callJson('POST', vmUrl(id, '/restart'), { timeoutMs: 120_000 }),
    deleteVm: async (id) => void (await callJson('DELETE', vmUrl(id), { timeoutMs: 60_000 })),
    console: (id) => callJson('GET', vmUrl(id, '/console')).then((t) => (typeof t === 'string' ? t : '')),
    migrateVm: (id, destination) =>
      callJson('POST', vmUrl(id, '/migrate'), { body: { destination }, timeoutMs: 300_000 }),
    waitForState: (id, state, timeoutMs = 300_000) =>
      eventually(
        async () => {
          const vm = await callJson<Vm>('GET', vmUrl(id));
          // a failed VM will not get there: stop retrying (the wait error carries this message)
          if (vm.state === 'failed' && state !== 'failed') {
            throw new AbortError(`VM ${vm.name} failed: ${vm.detail ?? 'no detail'}`);
          }
          if (vm.state !== state) throw new Error(`VM ${vm.name} is ${vm.state}`);
          return vm;
        },
        { timeoutMs, maxIntervalMs: 500, what: `VM ${id} ${state}` },
      ),
  };
  return port;
}

function unbound(binding: PortBinding): PlasmavmcPort {
  const missing = (operation: string) => async () => bindingRequired(binding, 'plasmavmc', operation);
  return {
    at: () => unbound(binding),
    worker: missing('worker'),
    workers: missing('workers'),
    createVm: missing('createVm'),
    listVms: missing('listVms'),
    vm: missing('vm'),
    startVm: missing('startVm'),
    stopVm: missing('stopVm'),
    restartVm: missing('restartVm'),
    deleteVm: missing('deleteVm'),
    console: missing('console'),
    migrateVm: missing('migrateVm'),
    waitForState: missing('waitForState'),
  };
}
