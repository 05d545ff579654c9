import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { guestKernel } from '../../../helpers/guest-image/guest-kernel.ts';
import { waitForMarkers } from '../../../helpers/markers.ts';
import type { AcceleratorMode, GuestSpec } from '../../../helpers/qemu-args.ts';
import { bootGuest, type QemuGuest } from '../../../helpers/qemu-guest.ts';
import { buildWebappGuestImage } from '../../images/webapp-guest/webapp-image.ts';
import type { JsonStore } from '../common/json-store.ts';
import { forwardPort } from './forward-port.ts';
import { ensureTap } from './nic.ts';
import type { PlasmavmcState, VmRecord } from './vm-record.ts';

export interface VmRuntimeOptions {
  node: string;
  /** this worker's address: VM forwards listen here */
  host: string;
  stateDir: string;
  accelerator: () => Promise<AcceleratorMode>;
  /** whether a VM's tap goes onto its tenant bridge (false: fault tap-not-attached) */
  attachTaps: () => boolean;
  /** LightningStor's host:port, handed to a VM that keeps its state there */
  store: () => string;
  log: (line: string) => void;
}

const guestPort = 80;
const readyTimeoutMs = 300_000;

/** The QEMU processes behind this worker's VMs: boot, stop, and the record updates that go with them. */
export class VmRuntime {
  readonly #guests = new Map<string, QemuGuest>();
  readonly #stopping = new Set<string>();
  readonly #store: JsonStore<PlasmavmcState>;
  readonly #options: VmRuntimeOptions;

  constructor(store: JsonStore<PlasmavmcState>, options: VmRuntimeOptions) {
    this.#store = store;
    this.#options = options;
  }

  guest(id: string): QemuGuest | undefined {
    return this.#guests.get(id);
  }

  consoleLog(id: string): string {
    return join(this.#options.stateDir, 'consoles', `${id}.log`);
  }

  update(id: string, patch: Partial<VmRecord>): VmRecord {
    const next = this.#store.update((s) => {
      const vm = s.vms[id];
      if (vm) Object.assign(vm, patch, { updatedAt: new Date().toISOString() });
    });
    return next.vms[id] as VmRecord;
  }

  /**
   * Start QEMU for a VM: the webapp image, its disk from shared storage, and its NIC: on its PrismNet port (a tap
   * on the tenant bridge, the port's address on the kernel command line), else user-mode NAT with the web app
   * forwarded to this worker's address. `incoming` (a QEMU migration URI) makes it a migration destination waiting
   * there instead of booting.
   */
  async boot(id: string, incoming?: string): Promise<VmRecord> {
    const vm = this.#store.get().vms[id];
    if (!vm) throw new Error(`no VM ${id}`);
    if (this.#guests.get(id)?.running) return vm;
    const accel = await this.#options.accelerator();
    let forward: VmRecord['forward'] = null;
    let nicSpec: Pick<GuestSpec, 'tap' | 'hostfwd'>;
    if (vm.nic) {
      await ensureTap(vm.nic, this.#options.attachTaps());
      nicSpec = { tap: { ifname: vm.nic.tap, mac: vm.nic.mac } };
    } else {
      const port = await forwardPort(this.#options.host, vm.forward?.port);
      forward = { host: this.#options.host, port, guestPort };
      nicSpec = { hostfwd: [{ hostAddress: this.#options.host, hostPort: port, guestPort }] };
    }
    const cmdline = [`console=ttyS0 quiet panic=-1 ucp.vm=${vm.name}`];
    if (vm.nic) cmdline.push(`ucp.ip=${vm.nic.ip}/${vm.nic.prefix}`, `ucp.gw=${vm.nic.gateway}`);
    if (vm.stateBucket) cmdline.push(`ucp.store=${this.#options.store()}`, `ucp.bucket=${vm.stateBucket}`);
    const serialLog = this.consoleLog(id);
    await mkdir(join(this.#options.stateDir, 'consoles'), { recursive: true });
    const ready = incoming
      ? undefined
      : waitForMarkers(serialLog, [`webapp.ready.${vm.name}`], {
          failure: [`webapp.failed.${vm.name}`],
          timeoutMs: readyTimeoutMs,
          from: 'end',
        });
    ready?.catch(() => {});
    const started = performance.now();
    const guest = await bootGuest({
      name: `vm-${id}`,
      kernel: guestKernel().vmlinuz,
      initrd: await buildWebappGuestImage(),
      append: cmdline.join(' '),
      drives: [{ path: vm.diskPath, serial: `vm-${id}` }],
      ...nicSpec,
      serialLog,
      accel,
      memoryMiB: vm.memoryMiB,
      extraArgs: incoming ? ['-incoming', incoming] : [],
    });
    this.#guests.set(id, guest);
    void guest.exited.then((exit) => this.#onExit(id, guest, exit.code));
    const record = this.update(id, {
      state: incoming ? 'migrating' : 'booting',
      pid: guest.pid,
      accelerator: accel,
      node: this.#options.node,
      forward,
      boots: vm.boots + (incoming ? 0 : 1),
      detail: null,
    });
    this.#options.log(
      `ULTRACLOUD_MARKER plasmavmc.vm.${incoming ? 'incoming' : 'started'}.${vm.name} pid=${guest.pid}`,
    );
    ready?.then(
      () => {
        if (this.#guests.get(id) !== guest) return;
        this.update(id, { state: 'running', bootMs: Math.round(performance.now() - started) });
        this.#options.log(`ULTRACLOUD_MARKER plasmavmc.vm.running.${vm.name} accel=${accel}`);
      },
      (err: unknown) => {
        if (this.#guests.get(id) !== guest) return;
        this.update(id, { state: 'failed', detail: err instanceof Error ? err.message : String(err) });
      },
    );
    return record;
  }

  /** ACPI power button, then (after graceMs) QEMU quit: the guest fsyncs its state on every write. */
  async stop(id: string, graceMs = 10_000): Promise<void> {
    const guest = this.#guests.get(id);
    if (!guest?.running) return;
    this.#stopping.add(id);
    try {
      await guest.powerdown().catch(() => {});
      await guest.waitForExit(graceMs).catch(() => guest.quit());
      await guest.exited;
    } finally {
      this.#stopping.delete(id);
      if (this.#guests.get(id) === guest) this.#guests.delete(id);
    }
  }

  /** Quit QEMU at once (migration source after hand-over, or a failed incoming). */
  async discard(id: string): Promise<void> {
    const guest = this.#guests.get(id);
    if (!guest) return;
    this.#stopping.add(id);
    try {
      await guest.quit();
    } finally {
      this.#stopping.delete(id);
      this.#guests.delete(id);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#guests.keys()].map((id) => this.discard(id)));
  }

  #onExit(id: string, guest: QemuGuest, code: number | null): void {
    if (this.#guests.get(id) === guest) this.#guests.delete(id);
    if (!this.#store.get().vms[id]) return;
    const requested = this.#stopping.has(id);
    this.update(id, {
      state: 'stopped',
      pid: null,
      detail: requested ? null : `QEMU exited on its own (code ${code})`,
    });
  }
}
