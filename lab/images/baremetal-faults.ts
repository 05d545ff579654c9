import type { FaultCatalogue } from '../services/common/fault-switches.ts';

/**
 * Faults of the lab's bare-metal installer (lab/images/baremetal/installer-init.sh), switched on by naming them on
 * the installer's kernel command line: ultracloud.faults=<name>[,<name>].
 */
export const installerFaults = {
  'markers-out-of-order': {
    breaks:
      'the installer prints the seed marker sequence in order: install.bundle-downloaded comes before install.disko.complete',
  },
  'partition-first-disk': {
    breaks:
      "Disko partitions the disk the install plan's by-id selector names and leaves every other disk of the node untouched",
  },
} satisfies FaultCatalogue;

export type InstallerFault = keyof typeof installerFaults;
