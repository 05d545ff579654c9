import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GuestSpec } from '../../contracts/guest.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import { bootGuest } from '../../helpers/qemu-guest.ts';
import { freeLoopbackPort } from '../../helpers/qemu-hostfwd.ts';
import { restoreArgs, resumeRestored, saveBlockers, saveGuestState } from '../../helpers/qemu-snapshot.ts';
import { eventually } from '../../helpers/retry.ts';
import { sshExec } from '../../helpers/ssh.ts';
import { labVmGuest } from '../../lab/target/vm-runner-guest.ts';

// Real QEMU (TCG where KVM does not work): a guest with SSH saved to a file while running and started again from it:
// the same boot (boot id, a file it wrote in its tmpfs) goes on, and its clock, resynced from the RTC QEMU keeps on the
// host's time, is the host's again.
let dir: string;
let spec: (extra?: string[]) => GuestSpec;
let ssh: (command: string) => Promise<string>;
beforeAll(async () => {
  dir = await workTempDir('qemu-restore-');
  const guest = await labVmGuest();
  const accel = (await probeAccelerator(await probeGuestImage())).mode;
  const sshPort = await freeLoopbackPort();
  spec = (extra = []) => ({
    name: 'restore-guest',
    kernel: guest.kernel,
    initrd: guest.initrd,
    append: 'console=ttyS0 quiet panic=-1 ultracloud.hostname=restore-guest',
    serialLog: join(dir, 'serial.log'),
    hostfwd: [{ hostPort: sshPort, guestPort: 22 }],
    accel,
    memoryMiB: 256,
    // the RTC follows the host's clock, also across a save and restore: the guest resyncs from it
    extraArgs: ['-rtc', 'base=utc,clock=host', ...extra],
  });
  const target = { host: '127.0.0.1', port: sshPort, user: 'root', privateKey: readFileSync(guest.sshKeyPath) };
  ssh = async (command) => {
    const r = await sshExec(target, command, { timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`${command}: exit ${r.exitCode}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The guest's clock read over SSH, with the host's clock just before and just after the call (seconds). */
async function guestClock(): Promise<{ before: number; guest: number; after: number }> {
  const before = Date.now() / 1000;
  const guest = Number(await ssh('date +%s'));
  return { before, guest, after: Date.now() / 1000 };
}

describe('QEMU save and restore', { timeout: 900_000 }, () => {
  test('a restored guest is the same boot, and its clock resynced from the RTC is the host clock', async () => {
    const stateFile = join(dir, 'guest.state');
    let bootId: string;
    {
      await using first = await bootGuest(spec());
      bootId = await eventually(() => ssh('cat /proc/sys/kernel/random/boot_id'), {
        timeoutMs: 300_000,
        intervalMs: 1_000,
        what: 'SSH into the booted guest',
      });
      await ssh('echo kept-across-restore > /run/restore-token');
      expect(await saveBlockers(first.qmp)).toEqual([]);
      const saved = await saveGuestState(first.qmp, stateFile);
      expect(saved.bytes).toBeGreaterThan(1 << 20);
    }
    await using restored = await bootGuest(spec(restoreArgs(stateFile)));
    await resumeRestored(restored.qmp);
    expect(await ssh('cat /proc/sys/kernel/random/boot_id')).toBe(bootId);
    expect(await ssh('cat /run/restore-token')).toBe('kept-across-restore');
    const stale = await guestClock();
    await ssh('hwclock -s -u');
    const synced = await guestClock();
    // `date +%s` and the RTC count whole seconds: within a second of the host's clock around the call
    expect(synced.guest, JSON.stringify({ stale, synced })).toBeGreaterThanOrEqual(Math.floor(synced.before) - 1);
    expect(synced.guest, JSON.stringify({ stale, synced })).toBeLessThanOrEqual(Math.ceil(synced.after) + 1);
  });
});
