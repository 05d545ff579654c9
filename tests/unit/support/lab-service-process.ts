import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PortBinding } from '../../../lab/target/bindings/binding.ts';
import type { Endpoint, ServiceName } from '../../../profiles/descriptor-schema.ts';

const repoRoot = new URL('../../../', import.meta.url).pathname;

/** A free TCP port on 127.0.0.1 (the kernel picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

export interface LabServiceOptions {
  service: ServiceName;
  node?: string;
  /** extra environment (UCP_CLUSTER, UCP_DNS_PORT, ...) */
  env?: Record<string, string>;
  stateDir?: string;
  readyTimeoutMs?: number;
  /** run inside this network namespace (ip netns exec), listening on `host` */
  netns?: string;
  host?: string;
}

/**
 * One lab service started as a real child process on 127.0.0.1 following the service process contract, with a
 * temp state dir and a faults file the test can switch.
 */
export class LabServiceProcess {
  readonly options: LabServiceOptions;
  readonly stateDir: string;
  readonly faultsFile: string;
  readonly port: number;
  output = '';
  private child: ChildProcess | undefined;

  private constructor(options: LabServiceOptions, stateDir: string, port: number) {
    this.options = options;
    this.stateDir = stateDir;
    this.faultsFile = join(stateDir, '..', 'faults.json');
    this.port = port;
  }

  static async start(options: LabServiceOptions): Promise<LabServiceProcess> {
    // a folder of its own only when the caller names no state folder; removed again if the service never starts
    const root = options.stateDir ? undefined : await mkdtemp(join(tmpdir(), `ucp-${options.service}-`));
    const stateDir = options.stateDir ?? join(root as string, 'state');
    const proc = new LabServiceProcess(options, stateDir, await freePort());
    try {
      await proc.setFaults({});
      await proc.launch();
    } catch (err) {
      await proc.stop('SIGKILL');
      if (root) await rm(root, { recursive: true, force: true });
      throw err;
    }
    return proc;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get endpoint(): Endpoint {
    return { host: this.host, port: this.port, scheme: 'http' };
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** a reference-lab binding where this process is the only instance of its service */
  binding(others: LabServiceProcess[] = []): PortBinding {
    return labBinding([this, ...others]);
  }

  async setFaults(faults: Record<string, boolean>): Promise<void> {
    await writeFile(`${this.faultsFile}.tmp`, JSON.stringify(faults));
    await rename(`${this.faultsFile}.tmp`, this.faultsFile);
  }

  async launch(): Promise<void> {
    const { service, node = 'node01' } = this.options;
    const main = [process.execPath, join(repoRoot, 'lab/services', service, 'main.ts')];
    const [file, ...args] = this.options.netns ? ['ip', 'netns', 'exec', this.options.netns, ...main] : main;
    const child = spawn(file as string, args, {
      cwd: repoRoot,
      env: {
        ...process.env,
        UCP_SERVICE: service,
        UCP_NODE: node,
        UCP_LISTEN: `${this.host}:${this.port}`,
        UCP_STATE_DIR: this.stateDir,
        UCP_FAULTS_FILE: this.faultsFile,
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const marker = `ULTRACLOUD_MARKER service.${service}.ready`;
    const timeoutMs = this.options.readyTimeoutMs ?? 20_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`marker "${marker}" not printed after ${timeoutMs}ms; output:\n${this.output}`));
      }, timeoutMs);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes(marker)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => {
        this.output += c.toString();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${service} exited (${code ?? signal}) before "${marker}"; output:\n${this.output}`));
      });
    });
  }

  /** graceful stop (SIGTERM), waiting for exit */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  /** power loss: SIGKILL */
  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    this.output = '';
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(join(this.stateDir, '..'), { recursive: true, force: true });
  }
}

export function labBinding(processes: LabServiceProcess[]): PortBinding {
  const find = (service: ServiceName) => processes.filter((p) => p.options.service === service);
  return {
    targetName: 'unit-test',
    instances: (service) => find(service).map((p) => ({ node: p.options.node ?? 'node01', endpoint: p.endpoint })),
    on(node, service) {
      const hit = find(service).find((p) => (p.options.node ?? 'node01') === node);
      if (!hit) throw new Error(`node ${node} runs no ${service}`);
      return hit.endpoint;
    },
  };
}
