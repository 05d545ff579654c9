import { appendFile } from 'node:fs/promises';
import type { QemuGuest } from '../../helpers/qemu-guest.ts';

export type BootDevice = 'Cd' | 'Hdd';

export interface BootContext {
  /** the inserted virtual media, as a local file (only when booting from Cd) */
  mediaPath?: string;
  /** the machine's own disk, kept across boots */
  diskPath: string;
  serialLog: string;
  name: string;
}

/** What the emulated firmware does when it boots from a device: start QEMU, or nothing when it cannot boot. */
export interface MachineBooter {
  boot(device: BootDevice, ctx: BootContext): Promise<QemuGuest | undefined>;
}

export interface BootRecord {
  device: BootDevice;
  at: string;
  pid: number | null;
  result: 'booted' | 'no-bootable-device' | 'error';
  detail?: string;
}

/**
 * The computer behind the BMC: power state, a boot override, a CD slot and a disk. Powering on boots the
 * override device once (then the disk); a guest reboot boots again, a guest power-off leaves it off.
 */
export class EmulatedMachine {
  powerState: 'On' | 'Off' = 'Off';
  boot = { target: 'None', enabled: 'Disabled', mode: 'UEFI' };
  media = { image: null as string | null, inserted: false, localPath: undefined as string | undefined };
  readonly boots: BootRecord[] = [];
  /** bumped on every change; the resources' ETags derive from it */
  version = 1;
  #guest: QemuGuest | undefined;
  #stopping = false;
  readonly #booter: MachineBooter;
  readonly #ctx: Omit<BootContext, 'mediaPath'>;

  constructor(booter: MachineBooter, ctx: Omit<BootContext, 'mediaPath'>) {
    this.#booter = booter;
    this.#ctx = ctx;
  }

  get guest(): QemuGuest | undefined {
    return this.#guest;
  }

  touch(): void {
    this.version++;
  }

  async powerOn(): Promise<void> {
    if (this.powerState === 'On') return;
    this.powerState = 'On';
    this.touch();
    await this.#bootNext();
  }

  async forceOff(): Promise<void> {
    this.#stopping = true;
    try {
      await this.#guest?.kill();
    } finally {
      this.#guest = undefined;
      this.#stopping = false;
      this.powerState = 'Off';
      this.touch();
    }
  }

  async gracefulShutdown(timeoutMs = 30_000): Promise<void> {
    const guest = this.#guest;
    if (!guest) return this.forceOff();
    this.#stopping = true;
    await guest.powerdown().catch(() => {});
    await guest.waitForExit(timeoutMs).catch(() => guest.kill());
    await this.forceOff();
  }

  async restart(): Promise<void> {
    await this.forceOff();
    await this.powerOn();
  }

  async #bootNext(): Promise<void> {
    let device: BootDevice = 'Hdd';
    if (this.boot.enabled !== 'Disabled' && this.boot.target === 'Cd') {
      if (this.media.inserted && this.media.localPath) device = 'Cd';
      else await this.#console('boot override Cd requested but no virtual media is inserted; trying the disk');
      if (this.boot.enabled === 'Once') {
        this.boot = { ...this.boot, target: 'None', enabled: 'Disabled' };
        this.touch();
      }
    }
    const record: BootRecord = { device, at: new Date().toISOString(), pid: null, result: 'booted' };
    this.boots.push(record);
    await this.#console(`power on: booting from ${device}${device === 'Cd' ? ` (${this.media.image})` : ''}`);
    try {
      const mediaPath = device === 'Cd' ? this.media.localPath : undefined;
      const guest = await this.#booter.boot(device, { ...this.#ctx, mediaPath });
      if (!guest) {
        record.result = 'no-bootable-device';
        await this.#console('no bootable device');
        return;
      }
      record.pid = guest.pid;
      this.#guest = guest;
      let reason = '';
      guest.qmp.on('event', (e) => {
        if (e.event === 'SHUTDOWN') reason = String(e.data?.reason ?? '');
      });
      void guest.exited.then(() => this.#onGuestExit(guest, reason));
    } catch (err) {
      record.result = 'error';
      record.detail = err instanceof Error ? err.message : String(err);
      await this.#console(`boot from ${device} failed: ${record.detail}`);
    }
  }

  async #onGuestExit(guest: QemuGuest, reason: string): Promise<void> {
    if (this.#guest !== guest || this.#stopping) return;
    this.#guest = undefined;
    if (reason === 'guest-reset') {
      await this.#console('guest reset: rebooting');
      await this.#bootNext();
      return;
    }
    this.powerState = 'Off';
    this.touch();
    await this.#console(`guest powered off${reason ? ` (${reason})` : ''}`);
  }

  async #console(line: string): Promise<void> {
    await appendFile(this.#ctx.serialLog, `[lab-bmc] ${line}\n`);
  }
}
