import { cpus, totalmem } from 'node:os';
import type { AcceleratorProbe } from '../../../helpers/qemu-accelerator.ts';
import type { PlasmavmcState } from './vm-record.ts';

/** The hypervisor backends a worker advertises; the supported product surface is KVM only. */
export const supportedHypervisors = ['HYPERVISOR_TYPE_KVM'] as const;

export interface WorkerRegistration {
  node: string;
  address: string;
  hypervisors: string[];
  capacity: { vcpus: number; memoryMiB: number };
  allocated: { vms: number; memoryMiB: number };
  /** the QEMU accelerator VMs really run with (kvm, or tcg where KVM cannot run a guest); null while probing */
  accelerator: string | null;
  acceleratorReason: string | null;
}

export function registration(
  node: string,
  address: string,
  state: PlasmavmcState,
  probe: AcceleratorProbe | null,
  extraHypervisor: boolean,
): WorkerRegistration {
  const vms = Object.values(state.vms).filter((v) => v.node === node);
  return {
    node,
    address,
    hypervisors: [...supportedHypervisors, ...(extraHypervisor ? ['HYPERVISOR_TYPE_FIRECRACKER'] : [])],
    capacity: { vcpus: cpus().length, memoryMiB: Math.floor(totalmem() / 2 ** 20) },
    allocated: {
      vms: vms.filter((v) => v.desired === 'running').length,
      memoryMiB: vms.filter((v) => v.desired === 'running').reduce((sum, v) => sum + v.memoryMiB, 0),
    },
    accelerator: probe?.mode ?? null,
    acceleratorReason: probe?.reason ?? null,
  };
}
