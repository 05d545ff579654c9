import type { FaultCatalogue } from '../common/fault-switches.ts';

/** plasmavmc's fault switches, each with the property it breaks. */
export const plasmavmcFaults = {
  'advertise-extra-hypervisor': {
    breaks: 'worker registrations advertise HYPERVISOR_TYPE_KVM and nothing broader (adds HYPERVISOR_TYPE_FIRECRACKER)',
  },
  'lose-disk-on-restart': {
    breaks: "a VM's disk survives a restart (the disk is recreated empty, so the web app's state is gone)",
  },
  'tap-not-attached': {
    breaks:
      "a VM on a PrismNet port is attached to the port's tenant network (its tap is created but left outside the tenant bridge)",
  },
  'migration-leaves-source-running': {
    breaks: "after a live migration the source worker no longer runs the VM's QEMU",
  },
  'migration-disk-not-shared': {
    breaks:
      'a migrated VM keeps its disk: the destination opens the same CoronaFS volume (not an empty local disk of the same size)',
  },
} satisfies FaultCatalogue;
