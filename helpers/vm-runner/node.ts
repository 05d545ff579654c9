import { readFileSync } from 'node:fs';
import { BindingRequiredError, HarnessError } from '../../contracts/errors.ts';
import {
  type ConsoleSource,
  type ExecOptions,
  type ExecResult,
  type NodeHandle,
  type PowerControl,
  type ServiceInstance,
  succeedOn,
} from '../../contracts/node-handle.ts';
import type { Endpoint, NodeRole, NodeSpec, ServiceName } from '../../profiles/descriptor-schema.ts';
import { type SshTarget, sshExec } from '../ssh.ts';
import { killVmRunner, qmp, quitVmRunner, startVmRunner, vmRunnerPid, waitForVmExit } from './process.ts';

/**
 * One node launched from a NixOS VM runner, as plain data: the global setup hands it to workers inside
 * ClusterInfo, and any process rebuilds the node's handle from it.
 */
export interface VmRunnerNode {
  name: string;
  role: NodeRole;
  /** the built `bin/run-<host>-vm` */
  runner: string;
  /** QEMU_OPTS, QEMU_NET_OPTS, QEMU_KERNEL_PARAMS, NIX_DISK_IMAGE (and the lab guest's kernel and initrd) */
  env: Record<string, string>;
  qmpSocket: string;
  /** the serial console (QEMU_OPTS -serial file:…), rewritten on every boot */
  serialLog: string;
  /** the runner's own stdout and stderr */
  runnerLog: string;
  /** the process group id of the running VM */
  pidFile: string;
  diskImage: string;
  ssh: { host: string; port: number; user: string };
  sshKeyPath: string;
  services: NodeSpec['services'];
}

/**
 * A VM-runner node as a NodeHandle: the serial log is the console, exec goes over SSH through the slirp forward,
 * power maps to the runner (start), QMP (system_powerdown, quit) and SIGKILL of its process group (power loss).
 */
export class VmRunnerNodeHandle implements NodeHandle {
  readonly name: string;
  readonly role: NodeRole;
  readonly address: string;
  readonly console: ConsoleSource;
  readonly power: PowerControl;
  readonly node: VmRunnerNode;
  #sshKey: string | undefined;

  constructor(node: VmRunnerNode, options: { stopTimeoutMs?: number; dieWithParent?: boolean } = {}) {
    this.node = node;
    this.name = node.name;
    this.role = node.role;
    this.address = node.ssh.host;
    this.console = { path: node.serialLog };
    const stopTimeout = options.stopTimeoutMs ?? 60_000;
    this.power = {
      start: async () => {
        if (await vmRunnerPid(node)) return;
        await startVmRunner(node, { dieWithParent: options.dieWithParent });
      },
      stop: async () => {
        if (!(await vmRunnerPid(node))) return;
        await qmp(node, 'system_powerdown').catch(() => {});
        await waitForVmExit(node, stopTimeout).catch(() => quitVmRunner(node));
        await killVmRunner(node);
      },
      kill: () => killVmRunner(node),
      restart: async () => {
        await this.power.stop();
        await this.power.start();
      },
      state: async () => ((await vmRunnerPid(node)) ? 'running' : 'stopped'),
    };
  }

  /** hard reset through QMP (the reset button) */
  async reset(): Promise<void> {
    await this.#running();
    await qmp(this.node, 'system_reset');
  }

  async pause(): Promise<void> {
    await this.#running();
    await qmp(this.node, 'stop');
  }

  async resume(): Promise<void> {
    await this.#running();
    await qmp(this.node, 'cont');
  }

  /** QEMU's run state through QMP (running, paused, shutdown, ...) */
  async runState(): Promise<string> {
    await this.#running();
    return (await qmp<{ status: string }>(this.node, 'query-status')).status;
  }

  get sshTarget(): SshTarget {
    this.#sshKey ??= readFileSync(this.node.sshKeyPath, 'utf8');
    return { ...this.node.ssh, privateKey: this.#sshKey };
  }

  exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    return sshExec(this.sshTarget, command, options);
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
    const ep = this.node.services[service];
    if (!ep) throw new HarnessError(`node "${this.name}" runs no ${service}`);
    return ep;
  }

  async #running(): Promise<void> {
    if (!(await vmRunnerPid(this.node))) throw new HarnessError(`node "${this.name}" is not running`);
  }
}
