import { describe, expect, test } from 'vitest';
import { qemuArgs } from '../../helpers/qemu-args.ts';

const base = { name: 'n1', kernel: '/k', serialLog: '/tmp/s.log', accel: 'tcg' as const };
const joined = (args: string[]) => args.join(' ');

describe('qemuArgs', () => {
  test('a TCG guest with a serial disk, loopback-only SSH forward and reboot ending QEMU', () => {
    const args = qemuArgs(
      {
        ...base,
        initrd: '/i',
        append: 'console=ttyS0 ultracloud.node_id=n1',
        drives: [{ path: '/d.img', serial: 'uc-control-root' }],
        hostfwd: [{ hostPort: 22231, guestPort: 22 }],
      },
      '/tmp/q.sock',
    );
    const line = joined(args);
    expect(line).toContain('-machine q35,accel=tcg -cpu max');
    expect(line).toContain('-initrd /i');
    expect(args[args.indexOf('-append') + 1]).toBe('console=ttyS0 ultracloud.node_id=n1 no_timer_check');
    expect(line).toContain('-device virtio-blk-pci,drive=disk0,serial=uc-control-root');
    expect(line).toContain('-netdev user,id=net0,restrict=off,hostfwd=tcp:127.0.0.1:22231-:22');
    expect(line).toContain('-chardev file,id=serial0,path=/tmp/s.log,append=on');
    expect(line).toContain('-qmp unix:/tmp/q.sock,server=on,wait=off');
    expect(args).toContain('-no-reboot');
  });

  test('KVM uses the host CPU; no NIC without forwards or network; reboot can be kept', () => {
    const line = joined(qemuArgs({ ...base, accel: 'kvm', exitOnReboot: false }, '/q'));
    expect(line).toContain('accel=kvm -cpu host');
    expect(line).not.toContain('-netdev');
    expect(line).not.toContain('-no-reboot');
  });

  test('a directly booted kernel skips the IO-APIC timer check, once', () => {
    expect(joined(qemuArgs(base, '/q'))).toMatch(/-append console=ttyS0[^-]* no_timer_check/);
    const once = joined(qemuArgs({ ...base, append: 'console=ttyS0 no_timer_check quiet' }, '/q'));
    expect(once.match(/no_timer_check/g)).toHaveLength(1);
  });

  test('a tap NIC: the named host tap with the given MAC, and no user-mode NAT beside it', () => {
    const line = joined(qemuArgs({ ...base, tap: { ifname: 'vtabc', mac: '52:54:00:12:34:56' } }, '/q'));
    expect(line).toContain('-netdev tap,id=net0,ifname=vtabc,script=no,downscript=no');
    expect(line).toContain('-device virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56');
    expect(line).not.toContain('-netdev user');
    expect(() =>
      qemuArgs(
        { ...base, tap: { ifname: 'vtabc', mac: '52:54:00:12:34:56' }, hostfwd: [{ hostPort: 1, guestPort: 2 }] },
        '/q',
      ),
    ).toThrow(/tap NIC has no user-mode forwards/);
  });

  test('an ISO boot: no -kernel, boots the CD, a fw_cfg secret by file, a guestfwd to loopback on a moved NAT host', () => {
    const { kernel: _none, ...noKernel } = base;
    const args = qemuArgs(
      {
        ...noKernel,
        cdrom: '/nix/store/x-ultracloud-iso/iso/ultracloud-iso.iso',
        boot: 'cdrom',
        fwCfg: [{ name: 'opt/ultracloud/bootstrap_token', file: '/run/t' }],
        guestfwd: [{ guestAddress: '10.0.2.2', guestPort: 8088, hostPort: 40001 }],
        userNetHost: '10.0.2.1',
      },
      '/q',
    );
    const line = joined(args);
    expect(args).not.toContain('-kernel');
    expect(args).not.toContain('-append');
    expect(line).toContain('-boot order=d');
    expect(line).toContain('-drive file=/nix/store/x-ultracloud-iso/iso/ultracloud-iso.iso,media=cdrom,readonly=on');
    // the token travels as a file reference, never on the command line
    expect(line).toContain('-fw_cfg name=opt/ultracloud/bootstrap_token,file=/run/t');
    const netdev = args[args.indexOf('-netdev') + 1];
    expect(netdev).toBe(
      'user,id=net0,restrict=off,host=10.0.2.1,guestfwd=tcp:10.0.2.2:8088-cmd:socat - TCP:127.0.0.1:40001',
    );
  });

  test('a disk boot without a kernel boots the first disk', () => {
    const { kernel: _none, ...noKernel } = base;
    expect(joined(qemuArgs({ ...noKernel, boot: 'disk' }, '/q'))).toContain('-boot order=c');
  });
});
