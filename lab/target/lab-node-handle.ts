import { readFileSync } from 'node:fs';
import { HarnessError } from '../../contracts/errors.ts';
import {
  type ExecOptions,
  type ExecResult,
  type NodeHandle,
  type PowerControl,
  succeedOn,
} from '../../contracts/node-handle.ts';
import { callJson } from '../../helpers/http.ts';
import { type SshTarget, sshExec } from '../../helpers/ssh.ts';
import type { Endpoint, NodeSpec, ServiceName } from '../../profiles/descriptor-schema.ts';

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
}
