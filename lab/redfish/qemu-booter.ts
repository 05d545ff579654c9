import { guestKernel } from '../../helpers/guest-image/guest-kernel.ts';
import type { AcceleratorMode, HostForward } from '../../helpers/qemu-args.ts';
import { bootGuest } from '../../helpers/qemu-guest.ts';
import type { BootContext, BootDevice, MachineBooter } from './machine.ts';

export interface QemuBooterOptions {
  accel: AcceleratorMode;
  /** kernel parameters the operator gives the installer at its boot prompt (ultracloud.deployer_url=..., ...) */
  installerAppend: string;
  /** the machine's DMI serial (the installer's default node id) and its disk's virtio serial */
  dmiSerial: string;
  diskSerial: string;
  /** how the firmware boots the installed disk; without it a disk boot finds no bootable device */
  diskBoot?: () => Promise<{ initrd: string; append: string }>;
  hostfwd?: HostForward[];
  memoryMiB?: number;
}

/**
 * The lab machine's firmware: a CD boot starts the lab kernel with the inserted image as its initramfs (the lab's
 * "ISO" is the installer initramfs; the kernel parameters are what an operator types at the boot prompt), a disk
 * boot hands over to the installed system. The disk and the serial console stay the machine's across boots.
 */
export function qemuMachineBooter(options: QemuBooterOptions): MachineBooter {
  return {
    async boot(device: BootDevice, ctx: BootContext) {
      const kernel = guestKernel().vmlinuz;
      let initrd: string;
      let append: string;
      if (device === 'Cd') {
        if (!ctx.mediaPath) return undefined;
        initrd = ctx.mediaPath;
        append = options.installerAppend;
      } else {
        if (!options.diskBoot) return undefined;
        ({ initrd, append } = await options.diskBoot());
      }
      return bootGuest({
        name: `${ctx.name}-${device.toLowerCase()}`,
        kernel,
        initrd,
        append: `console=ttyS0 panic=-1 ${append}`.trim(),
        drives: [{ path: ctx.diskPath, serial: options.diskSerial }],
        network: true,
        hostfwd: options.hostfwd,
        serialLog: ctx.serialLog,
        accel: options.accel,
        memoryMiB: options.memoryMiB ?? 512,
        extraArgs: ['-smbios', `type=1,serial=${options.dmiSerial}`],
      });
    },
  };
}
