import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from '../contracts/errors.ts';
import type { AcceleratorMode, ProbeGuest } from '../contracts/guest.ts';
import { bootGuest } from './qemu-guest.ts';

/** What a probe guest prints on its serial console once it runs; then it powers off. */
export const probeMarker = 'ULTRACLOUD_ACCEL_PROBE_OK';

export type { ProbeGuest };

export interface AcceleratorProbe {
  mode: AcceleratorMode;
  /** why, on one line: "kvm booted a probe guest in 812 ms", "/dev/kvm is not usable (ENOENT)", ... */
  reason: string;
}

const cache = new Map<string, Promise<AcceleratorProbe>>();

/**
 * Which accelerator really works here. /dev/kvm existing proves nothing (it may be present and unable to run a
 * guest), so this boots a tiny guest with -accel kvm and waits for its marker; otherwise it is TCG.
 * ULTRACLOUD_VM_ACCELERATOR=kvm|tcg forces the answer. Probed once per process.
 */
export function probeAccelerator(guest: ProbeGuest, options: { timeoutMs?: number } = {}): Promise<AcceleratorProbe> {
  const forced = process.env.ULTRACLOUD_VM_ACCELERATOR;
  if (forced && forced !== 'auto') {
    if (forced !== 'kvm' && forced !== 'tcg') {
      return Promise.reject(new HarnessError(`ULTRACLOUD_VM_ACCELERATOR must be kvm, tcg or auto, got "${forced}"`));
    }
    return Promise.resolve({ mode: forced, reason: `forced by ULTRACLOUD_VM_ACCELERATOR=${forced}` });
  }
  const key = `${guest.kernel}\0${guest.initrd}`;
  let probe = cache.get(key);
  if (!probe) {
    probe = runProbe(guest, options.timeoutMs ?? 20_000).then((p) => ({
      mode: p.mode,
      reason: p.reason.replace(/\s+/g, ' ').trim().slice(0, 400),
    }));
    cache.set(key, probe);
  }
  return probe;
}

async function runProbe(guest: ProbeGuest, timeoutMs: number): Promise<AcceleratorProbe> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (err) {
    return { mode: 'tcg', reason: `/dev/kvm is not usable (${(err as NodeJS.ErrnoException).code})` };
  }
  // the probe guest's console and QMP socket share one folder, removed whatever the probe's outcome
  const dir = await mkdtemp(join(tmpdir(), 'ucp-accel-probe-'));
  const serialLog = join(dir, 'serial.log');
  const started = performance.now();
  try {
    await using vm = await bootGuest({
      name: 'accel-probe',
      kernel: guest.kernel,
      initrd: guest.initrd,
      append: 'console=ttyS0 panic=-1 quiet',
      serialLog,
      accel: 'kvm',
      memoryMiB: 128,
    });
    const exit = await vm.waitForExit(timeoutMs).catch(() => null);
    const console = await readFile(serialLog, 'utf8').catch(() => '');
    const ms = Math.round(performance.now() - started);
    if (console.includes(probeMarker)) return { mode: 'kvm', reason: `kvm booted a probe guest in ${ms} ms` };
    const tail = console.trim().split('\n').slice(-1)[0]?.slice(0, 160) ?? '';
    const how = exit ? `QEMU exited after ${ms} ms` : `no marker after ${timeoutMs} ms`;
    return { mode: 'tcg', reason: `KVM probe guest failed (${how}; last console line: "${tail}")` };
  } catch (err) {
    return { mode: 'tcg', reason: `KVM probe guest failed to start: ${err instanceof Error ? err.message : err}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
