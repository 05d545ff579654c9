import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { guestKernel } from '../../helpers/guest-image/guest-kernel.ts';
import { buildInitramfs } from '../../helpers/guest-image/initramfs.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { waitForMarkers } from '../../helpers/markers.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import { bootGuest, type GuestSpec } from '../../helpers/qemu-guest.ts';
import { GuestExitedError, waitForGuestMarkers } from '../../helpers/qemu-markers.ts';
import { QemuNodeHandle } from '../../helpers/qemu-node-handle.ts';

// Real QEMU (TCG where KVM does not work): a guest that says it booted and idles until the power button.
const idleInit = `#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
while read -r m; do insmod "$m" 2>/dev/null; done < /etc/modules.order
echo "ULTRACLOUD_MARKER unit.booted serial=$(cat /sys/block/vda/serial)"
acpid -d >/dev/null 2>&1 &
echo "ULTRACLOUD_MARKER unit.acpid"
while true; do sleep 1; done
`;

let dir: string;
let spec: (name: string) => Promise<GuestSpec>;
beforeAll(async () => {
  dir = await workTempDir('qemu-unit-');
  const initrd = await buildInitramfs({
    name: 'unit-idle',
    init: idleInit,
    files: { '/etc/acpi/PWRF/00000080': { content: '#!/bin/sh\npoweroff -f\n', mode: 0o755 } },
    modules: ['virtio_pci', 'virtio_blk', 'button', 'evdev'],
  });
  const accel = (await probeAccelerator(await probeGuestImage())).mode;
  spec = async (name) => {
    const disk = join(dir, `${name}.img`);
    await (await import('node:fs/promises')).writeFile(disk, Buffer.alloc(1 << 20));
    return {
      name,
      kernel: guestKernel().vmlinuz,
      initrd,
      append: 'console=ttyS0 quiet panic=-1',
      serialLog: join(dir, `${name}.log`),
      drives: [{ path: disk, serial: `uc-${name}` }],
      accel,
      memoryMiB: 192,
    };
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('QEMU guests', { timeout: 600_000 }, () => {
  test('boot, QMP pause/cont/reset, powerdown through ACPI', async () => {
    await using guest = await bootGuest(await spec('g1'));
    await waitForMarkers(guest.serialLog, ['unit.booted'], { timeoutMs: 300_000 });
    expect(await readFile(guest.serialLog, 'utf8')).toContain('serial=uc-g1');
    expect(await guest.qmp.execute('query-status')).toMatchObject({ running: true, status: 'running' });
    await guest.pause();
    expect(await guest.qmp.execute('query-status')).toMatchObject({ running: false, status: 'paused' });
    await guest.cont();
    await guest.reset();
    await waitForMarkers(guest.serialLog, ['unit.booted', 'unit.booted'], { timeoutMs: 300_000 });
    await waitForMarkers(guest.serialLog, ['unit.booted', 'unit.booted', 'unit.acpid'], { timeoutMs: 300_000 });
    // acpid may still be opening the button's event device: press the button until the guest powers off
    let exit = null;
    for (let press = 0; press < 30 && !exit; press++) {
      await guest.powerdown();
      exit = await guest.waitForExit(5_000).catch(() => null);
    }
    expect(exit).toEqual({ code: 0, signal: null });
    expect(guest.running).toBe(false);
  });

  test('kill is power loss; a marker wait on a dead guest ends at once', async () => {
    const guest = await bootGuest(await spec('g2'));
    await guest.kill();
    expect(await guest.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const err = await waitForGuestMarkers(guest, ['never'], { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GuestExitedError);
    expect((err as Error).message).toMatch(/"g2" exited \(signal SIGKILL\) while awaiting "never"/);
  });

  test('a QEMU node handle starts, stops gracefully and restarts on the same console', async () => {
    await using node = new QemuNodeHandle({
      name: 'g3',
      role: 'worker',
      guest: await spec('g3'),
      ssh: { host: '127.0.0.1', port: 1, user: 'root', privateKey: '' },
    });
    await node.power.start();
    expect(await node.power.state()).toBe('running');
    await waitForMarkers(node.console, ['unit.booted'], { timeoutMs: 300_000 });
    await node.power.restart();
    await waitForMarkers(node.console, ['unit.booted', 'unit.booted'], { timeoutMs: 300_000 });
    await node.power.kill();
    expect(await node.power.state()).toBe('stopped');
  });

  test('a forced accelerator is taken as given; a bad value is named', async () => {
    const saved = process.env.ULTRACLOUD_VM_ACCELERATOR;
    try {
      process.env.ULTRACLOUD_VM_ACCELERATOR = 'tcg';
      expect(await probeAccelerator(await probeGuestImage())).toMatchObject({ mode: 'tcg', reason: /forced/ });
      process.env.ULTRACLOUD_VM_ACCELERATOR = 'hvf';
      await expect(probeAccelerator(await probeGuestImage())).rejects.toThrow(/ULTRACLOUD_VM_ACCELERATOR.*"hvf"/);
    } finally {
      if (saved === undefined) delete process.env.ULTRACLOUD_VM_ACCELERATOR;
      else process.env.ULTRACLOUD_VM_ACCELERATOR = saved;
    }
  });

  test('the accelerator probe boots a guest and says why it chose', async () => {
    const probe = await probeAccelerator(await probeGuestImage());
    if (probe.mode === 'kvm') expect(probe.reason).toMatch(/^kvm booted a probe guest in \d+ ms$/);
    else expect(probe.reason).toMatch(/not usable|KVM probe guest failed|forced/);
    expect(probe.reason).not.toContain('\n');
  });
});
