import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { NodeConsole } from './console.ts';
import type { ServiceConfig } from './node-config.ts';

export type ServiceState = 'starting' | 'ready' | 'restarting' | 'stopped';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  pid: number | null;
  restarts: number;
  listen: string;
}

/**
 * One supervised service: its own process group, stdout/stderr to logs/<name>.log, marker lines copied to the
 * console, restarted after an unexpected exit (with backoff), stopped with SIGTERM then SIGKILL.
 */
export class ServiceProcess {
  readonly config: ServiceConfig;
  private readonly console: NodeConsole;
  private readonly log: WriteStream;
  private child: ChildProcess | null = null;
  private state: ServiceState = 'stopped';
  private restarts = 0;
  private wanted = false;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly onReady: () => void;
  private readonly readyProbe: ((service: ServiceProcess) => void) | undefined;

  /** readyProbe: readiness by other means than a marker, run after every start (it calls markReady) */
  constructor(
    config: ServiceConfig,
    console: NodeConsole,
    logPath: string,
    onReady: () => void,
    readyProbe?: (service: ServiceProcess) => void,
  ) {
    this.config = config;
    this.console = console;
    this.log = createWriteStream(logPath, { flags: 'a' });
    this.onReady = onReady;
    this.readyProbe = readyProbe;
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  status(): ServiceStatus {
    const { name, listen } = this.config;
    return { name, listen, state: this.state, pid: this.child?.pid ?? null, restarts: this.restarts };
  }

  start(): void {
    this.wanted = true;
    this.state = 'starting';
    const [cmd, ...args] = this.config.argv as [string, ...string[]];
    const child = spawn(cmd, args, {
      env: this.config.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.console.line('supervisor', `starting ${this.config.name} (pid ${child.pid ?? '?'})`);
    const follow = (stream: NodeJS.ReadableStream, tag: string) => {
      createInterface({ input: stream }).on('line', (line) => {
        this.log.write(`${new Date().toISOString()} ${tag} ${line}\n`);
        if (line.includes('ULTRACLOUD_MARKER ')) {
          this.console.raw(line.slice(line.indexOf('ULTRACLOUD_MARKER ')));
          if (line.includes(`service.${this.config.name}.ready`) && this.state === 'starting') {
            this.state = 'ready';
            this.onReady();
          }
        }
      });
    };
    this.readyProbe?.(this);
    if (child.stdout) follow(child.stdout, 'out');
    if (child.stderr) follow(child.stderr, 'err');
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.console.line('supervisor', `${this.config.name} failed to start: ${err.message}`);
      });
      child.once('exit', (code, sig) => {
        this.child = null;
        this.console.line('supervisor', `${this.config.name} exited (${sig ?? `code ${code}`})`);
        if (child.pid) signal(-child.pid, 'SIGKILL');
        if (this.wanted) this.scheduleRestart();
        else this.state = 'stopped';
        resolve();
      });
    });
  }

  /** readiness seen by other means than a marker (sshd: its port accepts connections) */
  markReady(): void {
    if (this.state !== 'starting') return;
    this.console.marker(`service.${this.config.name}.ready`);
    this.state = 'ready';
    this.onReady();
  }

  private scheduleRestart(): void {
    this.state = 'restarting';
    this.restarts++;
    const delay = Math.min(5_000, 250 * 2 ** Math.min(this.restarts, 5));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.wanted) this.start();
    }, delay);
  }

  async stop(graceMs = 8_000): Promise<void> {
    this.wanted = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child?.pid) {
      this.state = 'stopped';
      return;
    }
    const group = -child.pid;
    signal(group, 'SIGCONT');
    signal(group, 'SIGTERM');
    const timer = setTimeout(() => signal(group, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    signal(group, 'SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    this.restarts++;
    this.start();
  }
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // already gone
  }
}
