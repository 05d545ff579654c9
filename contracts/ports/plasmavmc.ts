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

/** A VM's NIC on its PrismNet port: a tap on the port's tenant bridge on its worker, the port's MAC and address. */
export interface VmNic {
  /** the PrismNet port id */
  port: string;
  network: string;
  /** the tenant network's Linux bridge on the worker (made by PrismNet) */
  bridge: string;
  /** the tap device QEMU's NIC uses, enslaved to `bridge` */
  tap: string;
  mac: string;
  ip: string;
  prefix: number;
  gateway: string;
}

export interface Vm {
  id: string;
  name: string;
  image: string;
  memoryMiB: number;
  diskMiB: number;
  diskPath: string;
  /** the CoronaFS volume that is the VM's disk, and the node whose CoronaFS holds it (null: not a volume) */
  volume?: { name: string; holder: string } | null;
  desired: 'running' | 'stopped';
  state: VmState;
  node: string;
  /** the web app's forward on the worker: http://host:port/ (a VM without a PrismNet port) */
  forward: { host: string; port: number; guestPort: number } | null;
  /** the VM's NIC on its PrismNet port: a tap on the port's tenant bridge, with the port's MAC and address */
  nic?: VmNic | null;
  /** the LightningStor bucket the VM's web app keeps its state in, or null when it keeps it on its disk */
  stateBucket?: string | null;
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
  /**
   * `port`: a PrismNet port id on this worker the VM is attached to (its NIC on the port's tenant network, the
   * port's security groups applying to it); `stateBucket`: the LightningStor bucket the VM's web app keeps its
   * state in, written and read by the VM itself over its port (needs `port`).
   */
  createVm(spec: {
    name: string;
    memoryMiB?: number;
    diskMiB?: number;
    start?: boolean;
    port?: string;
    stateBucket?: string;
  }): Promise<Vm>;
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

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const plasmavmcOperations = [
  'at',
  'worker',
  'workers',
  'createVm',
  'listVms',
  'vm',
  'startVm',
  'stopVm',
  'restartVm',
  'deleteVm',
  'console',
  'migrateVm',
  'waitForState',
] as const satisfies readonly (keyof PlasmavmcPort)[];
