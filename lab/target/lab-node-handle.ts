import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HarnessError } from '../../contracts/errors.ts';
import {
  type ExecOptions,
  type ExecResult,
  type NodeHandle,
  type PowerControl,
  processStartTicks,
  type ServiceInstance,
  succeedOn,
} from '../../contracts/node-handle.ts';
import { callJson } from '../../helpers/http.ts';
import { type SshTarget, sshExec } from '../../helpers/ssh.ts';
import type { Endpoint, NodeSpec, ServiceName } from '../../profiles/descriptor-schema.ts';
import { nodePaths } from '../node/node-config.ts';

/**
 * A reference-lab node: console = its console.log, exec = SSH (ssh2) to its dropbear, power = the lab
 * controller's API (stop is a graceful shutdown, kill a power loss of the node's whole PID namespace).
 */
export class LabNodeHandle implements NodeHandle {
  readonly name: string;
  readonly role: NodeSpec['role'];
  readonly address: string;
  readonly console: { readonly path: string };
  readonly power: PowerControl;
  private readonly spec: NodeSpec;
  private readonly ssh: SshTarget;
  private readonly controllerUrl: string;

  constructor(spec: NodeSpec, controllerUrl: string, sshKeyPath: string) {
    if (spec.console.kind !== 'file') throw new HarnessError(`lab node ${spec.name} needs a file console`);
    this.spec = spec;
    this.controllerUrl = controllerUrl;
    this.name = spec.name;
    this.role = spec.role;
    this.address = spec.address;
    this.console = { path: spec.console.path };
    this.ssh = { host: spec.ssh.host, port: spec.ssh.port, user: spec.ssh.user, privateKey: readFileSync(sshKeyPath) };
    const power = (action: string) =>
      callJson('POST', `${controllerUrl}/nodes/${spec.name}/power`, { body: { action }, timeoutMs: 90_000 });
    this.power = {
      start: async () => void (await power('start')),
      stop: async () => void (await power('stop')),
      kill: async () => void (await power('kill')),
      restart: async () => void (await power('restart')),
      state: async () => {
        const nodes = await callJson<Array<{ name: string; state: 'running' | 'stopped' }>>(
          'GET',
          `${controllerUrl}/nodes`,
        );
        const me = nodes.find((n) => n.name === spec.name);
        if (!me) throw new HarnessError(`lab controller does not know node ${spec.name}`);
        return me.state;
      },
    };
  }

  async restartService(service: ServiceName): Promise<void> {
    await callJson('POST', `${this.controllerUrl}/nodes/${this.name}/services/${service}/restart`, {
      timeoutMs: 90_000,
    });
  }

  private async report(): Promise<{
    boot: number | null;
    services: Array<{ name: string; pid: number | null; state: string }>;
  }> {
    const nodes = await callJson<
      Array<{ name: string; boot: number | null; services: Array<{ name: string; pid: number | null; state: string }> }>
    >('GET', `${this.controllerUrl}/nodes`);
    const me = nodes.find((n) => n.name === this.name);
    if (!me) throw new HarnessError(`lab controller does not know node ${this.name}`);
    return me;
  }

  /** the supervisor's pid for the service, its start time read on the node itself */
  async serviceInstance(service: ServiceName): Promise<ServiceInstance> {
    const s = (await this.report()).services.find((x) => x.name === service);
    if (!s?.pid) throw new HarnessError(`${service} on ${this.name} has no running process (${s?.state ?? 'absent'})`);
    return { pid: s.pid, startTicks: await processStartTicks(this, s.pid) };
  }

  /** the node supervisor's boot count: one more at every power-on */
  async bootId(): Promise<string> {
    const boot = (await this.report()).boot;
    if (boot === null) throw new HarnessError(`${this.name} is powered off: it has no boot`);
    return `${this.name}:boot-${boot}`;
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return sshExec(this.ssh, command, options);
  }

  succeed(command: string, options?: ExecOptions): Promise<string> {
    return succeedOn(this, command, options);
  }

  endpoint(service: ServiceName): Endpoint {
    const e = this.spec.services[service];
    if (!e)
      throw new HarnessError(
        `node ${this.name} runs no ${service} (it runs: ${Object.keys(this.spec.services).join(', ') || 'nothing'})`,
      );
    return e;
  }

  /** each service's log and the node supervisor's, in the node's folder beside its console.log */
  logFiles(): Array<{ name: string; path: string }> {
    const paths = nodePaths(dirname(this.console.path));
    const logs = readdirSync(paths.logs, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.log'))
      .map((e) => ({ name: e.name, path: join(paths.logs, e.name) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return [...logs, { name: 'supervisor.log', path: paths.supervisorLog }];
  }
}
