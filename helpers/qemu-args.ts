import type { GuestSpec } from '../contracts/guest.ts';

export type { AcceleratorMode, GuestDrive, GuestSpec, HostForward } from '../contracts/guest.ts';

/** The QEMU command line for a spec (pure: unit-tested without booting anything). */
export function qemuArgs(spec: GuestSpec, qmpSocket: string): string[] {
  const args = ['-name', `guest=${spec.name},process=qemu-${spec.name}`, '-nodefaults', '-no-user-config'];
  args.push('-machine', `q35,accel=${spec.accel}`, '-cpu', spec.accel === 'kvm' ? 'host' : 'max');
  args.push('-m', String(spec.memoryMiB ?? 256), '-smp', String(spec.cpus ?? 1), '-display', 'none', '-vga', 'none');
  args.push('-chardev', `file,id=serial0,path=${spec.serialLog},append=on`, '-serial', 'chardev:serial0');
  args.push('-qmp', `unix:${qmpSocket},server=on,wait=off`);
  if (spec.kernel) {
    args.push('-kernel', spec.kernel);
    if (spec.initrd) args.push('-initrd', spec.initrd);
    args.push('-append', withoutTimerCheck(spec.append ?? 'console=ttyS0'));
  } else {
    args.push('-boot', spec.boot === 'cdrom' ? 'order=d' : 'order=c');
  }
  if (spec.cdrom) args.push('-drive', `file=${spec.cdrom},media=cdrom,readonly=on,if=ide,index=0`);
  for (const f of spec.fwCfg ?? []) args.push('-fw_cfg', `name=${f.name},file=${f.file}`);
  (spec.drives ?? []).forEach((d, i) => {
    const ro = d.readOnly ? ',read-only=on' : '';
    args.push('-drive', `file=${d.path},if=none,id=disk${i},format=${d.format ?? 'raw'},cache=writeback${ro}`);
    args.push('-device', `virtio-blk-pci,drive=disk${i}${d.serial ? `,serial=${d.serial}` : ''}`);
  });
  if (spec.tap) {
    if (spec.network || spec.hostfwd?.length || spec.guestfwd?.length)
      throw new Error(`guest ${spec.name}: a tap NIC has no user-mode forwards`);
    args.push('-netdev', `tap,id=net0,ifname=${spec.tap.ifname},script=no,downscript=no`);
    args.push('-device', `virtio-net-pci,netdev=net0,mac=${spec.tap.mac}`);
  } else if (spec.network || spec.hostfwd?.length || spec.guestfwd?.length) {
    const fwd = (spec.hostfwd ?? []).map(
      (f) => `,hostfwd=tcp:${f.hostAddress ?? '127.0.0.1'}:${f.hostPort}-:${f.guestPort}`,
    );
    // one socat per guest connection, to the host's loopback only
    for (const g of spec.guestfwd ?? []) {
      fwd.push(`,guestfwd=tcp:${g.guestAddress}:${g.guestPort}-cmd:socat - TCP:127.0.0.1:${g.hostPort}`);
    }
    const host = spec.userNetHost ? `,host=${spec.userNetHost}` : '';
    args.push('-netdev', `user,id=net0,restrict=off${host}${fwd.join('')}`, '-device', 'virtio-net-pci,netdev=net0');
  }
  if (spec.exitOnReboot ?? true) args.push('-no-reboot');
  args.push(...(spec.extraArgs ?? []));
  return args;
}

/**
 * Every kernel the harness boots directly skips the IO-APIC timer check (`no_timer_check`): under TCG the check
 * measures the emulated timer against the host's clock, and a busy host makes it fail and panic the boot ("IO-APIC +
 * timer doesn't work"), most often on a warm reset. Virtual machines' kernels are commonly booted so.
 */
export function withoutTimerCheck(append: string): string {
  return /(^|\s)no_timer_check(\s|$)/.test(append) ? append : `${append} no_timer_check`;
}
