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
  /**
   * the running instance of one of the node's services: its main process id and that process's start time read
   * on the node (/proc/<pid>/stat, clock ticks since boot). A restart gives another pid or a later start.
   */
  serviceInstance(service: ServiceName): Promise<ServiceInstance>;
  /** this boot of the node: another value after every power cycle */
  bootId(): Promise<string>;
  /** where one of this node's services listens; throws when the node runs no such service */
  endpoint(service: ServiceName): Endpoint;
  /**
   * the node's logs kept as files on this host beside its console (each service's, the supervisor's), for a failed
   * lane's bundle; absent when the target keeps none there
   */
  logFiles?(): Array<{ name: string; path: string }>;
}

/** One running instance of a service: which process, started when (clock ticks since the node's boot). */
export interface ServiceInstance {
  pid: number;
  startTicks: number;
}

/** Whether `after` is another process than `before` (a new pid, or the same pid number started later). */
export function isNewInstance(before: ServiceInstance, after: ServiceInstance): boolean {
  return after.pid !== before.pid || after.startTicks > before.startTicks;
}

/** The start time of `pid` on `node`, read from /proc/<pid>/stat (field 22; the command name may hold spaces). */
export async function processStartTicks(node: NodeHandle, pid: number): Promise<number> {
  const out = (await node.succeed(`sed 's/^.*) //' /proc/${pid}/stat | cut -d' ' -f20`, { timeoutMs: 20_000 })).trim();
  if (!/^\d+$/.test(out)) throw new Error(`/proc/${pid}/stat on ${node.name} gave start time "${out}"`);
  return Number(out);
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
