import { type ProbeGuest, probeMarker } from '../qemu-accelerator.ts';
import { guestKernel } from './guest-kernel.ts';
import { buildInitramfs } from './initramfs.ts';

/** The accelerator probe guest: the lab kernel with an initramfs that prints the probe marker and powers off. */
export async function probeGuestImage(): Promise<ProbeGuest> {
  const init = `#!/bin/sh\necho ${probeMarker}\n/bin/busybox poweroff -f\n`;
  return { kernel: guestKernel().vmlinuz, initrd: await buildInitramfs({ name: 'accel-probe', init }) };
}
