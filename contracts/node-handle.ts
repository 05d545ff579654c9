import type { Endpoint, NodeRole, ServiceName } from '../profiles/descriptor-schema.ts';
import { PropertyViolation } from './errors.ts';

/** Result of running a command on a node. */
export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export interface ExecOptions {
  timeoutMs?: number;
  /** data written to the command's stdin */
  input?: string;
}

/** A live console: serial output of a VM or the console log of a lab host. */
export interface ConsoleSource {
  /** path of the file the console is written to (followed live by marker waits) */
  readonly path: string;
}

export interface PowerControl {
  start(): Promise<void>;
  /** graceful shutdown */
  stop(): Promise<void>;
  /** power loss: no shutdown, no flush */
  kill(): Promise<void>;
  restart(): Promise<void>;
  state(): Promise<'running' | 'stopped'>;
}

/**
 * One node of a target, whatever it is underneath (a QEMU VM or a lab host). Lanes only see this.
 */
export interface NodeHandle {
  readonly name: string;
  readonly role: NodeRole;
  readonly address: string;
  readonly console: ConsoleSource;
  readonly power: PowerControl;
  /** run a shell command over SSH */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** run a command and throw (a check failure naming the command) unless it exits 0 */
  succeed(command: string, options?: ExecOptions): Promise<string>;
  /**
   * restart one service alone, the node and its other services staying up: the lab's node supervisor, or
   * `systemctl restart <service>.service` on a NixOS node
   */
  restartService(service: ServiceName): Promise<void>;
  /** where one of this node's services listens; throws when the node runs no such service */
  endpoint(service: ServiceName): Endpoint;
}

/**
 * `succeed` for every kind of node: run the command and turn a non-zero exit into a violated property naming the
 * command, the node, the exit code and the tail of its output.
 */
export async function succeedOn(
  node: Pick<NodeHandle, 'name' | 'exec'>,
  command: string,
  options?: ExecOptions,
): Promise<string> {
  const res = await node.exec(command, options);
  if (res.exitCode !== 0) {
    throw new PropertyViolation(
      `"${command}" succeeds on ${node.name}`,
      [],
      `exit ${res.exitCode}: ${(res.stderr || res.stdout).trim().slice(-500) || '(no output)'}`,
    );
  }
  return res.stdout;
}
