import { BindingRequiredError, HarnessError } from '../contracts/errors.ts';
import {
  type ConsoleSource,
  type ExecOptions,
  type ExecResult,
  type NodeHandle,
  type PowerControl,
  type ServiceInstance,
  succeedOn,
} from '../contracts/node-handle.ts';
import type { Endpoint, NodeRole, ServiceName } from '../profiles/descriptor-schema.ts';
import { bootGuest, type GuestSpec, type QemuGuest } from './qemu-guest.ts';
import { type SshTarget, sshExec } from './ssh.ts';

export interface QemuNodeOptions {
  name: string;
  role: NodeRole;
  /** the guest to boot on power.start (its serialLog is the node's console, kept across boots) */
  guest: GuestSpec;
  /** SSH as the harness reaches it (a hostfwd on 127.0.0.1) */
  ssh: SshTarget;
  endpoints?: Partial<Record<ServiceName, Endpoint>>;
  /** how long a graceful stop may take before QEMU is ended (default 30 s) */
  stopTimeoutMs?: number;
}

/**
 * A QEMU VM as a NodeHandle: the serial console file is the console, exec goes over SSH through the slirp
 * forward, and power maps to QMP (system_powerdown, quit) and to SIGKILL of QEMU for power loss.
 */
export class QemuNodeHandle implements NodeHandle, AsyncDisposable {
  readonly name: string;
  readonly role: NodeRole;
  readonly address: string;
  readonly console: ConsoleSource;
  readonly power: PowerControl;
  readonly #options: QemuNodeOptions;
  #guest: QemuGuest | undefined;

  constructor(options: QemuNodeOptions) {
    this.#options = options;
    this.name = options.name;
    this.role = options.role;
    this.address = options.ssh.host;
    this.console = { path: options.guest.serialLog };
    const stopTimeout = options.stopTimeoutMs ?? 30_000;
    this.power = {
      start: async () => {
        if (this.#guest?.running) return;
        this.#guest = await bootGuest(options.guest);
      },
      stop: async () => {
        const g = this.#guest;
        if (!g?.running) return;
        await g.powerdown().catch(() => {});
        await g.waitForExit(stopTimeout).catch(() => g.quit());
      },
      kill: async () => {
        await this.#guest?.kill();
      },
      restart: async () => {
        await this.power.stop();
        await this.power.start();
      },
      state: async () => (this.#guest?.running ? 'running' : 'stopped'),
    };
  }

  /** the running guest (QMP, pid, exit promise); throws when the node is powered off */
  get guest(): QemuGuest {
    if (!this.#guest?.running) throw new HarnessError(`node "${this.name}" is not running`);
    return this.#guest;
  }

  /** hard reset through QMP (the reset button) */
  reset(): Promise<void> {
    return this.guest.reset();
  }

  pause(): Promise<void> {
    return this.guest.pause();
  }

  resume(): Promise<void> {
    return this.guest.cont();
  }

  exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    return sshExec(this.#options.ssh, command, options);
  }

  /** NixOS nodes run their services as systemd units */
  async restartService(service: ServiceName): Promise<void> {
    await this.succeed(`systemctl restart ${service}.service`, { timeoutMs: 120_000 });
  }

  /** not bound for this kind of node yet: a lane that needs it is blocked */
  serviceInstance(_service: ServiceName): Promise<ServiceInstance> {
    return Promise.reject(new BindingRequiredError('node.serviceInstance', this.name));
  }

  bootId(): Promise<string> {
    return Promise.reject(new BindingRequiredError('node.bootId', this.name));
  }

  succeed(command: string, options?: ExecOptions): Promise<string> {
    return succeedOn(this, command, options);
  }

  endpoint(service: ServiceName): Endpoint {
    const ep = this.#options.endpoints?.[service];
    if (!ep) throw new HarnessError(`node "${this.name}" runs no ${service}`);
    return ep;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#guest?.quit();
  }
}
