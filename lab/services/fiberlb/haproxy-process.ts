import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';
import { sleep } from '../../../helpers/retry.ts';

const run = promisify(execFile);

export interface ServerStat {
  backend: string;
  server: string;
  /** UP, DOWN, DRAIN, MAINT, no check, ... as HAProxy reports it */
  status: string;
  weight: number;
  sessionsTotal: number;
}

/**
 * One HAProxy in master-worker mode (`-W -db`, foreground) with its own config, pid file and admin socket.
 * Reloads validate the new config first (`haproxy -c`), then signal the master (SIGUSR2) and wait for a new
 * worker to answer on the admin socket.
 */
export class HaproxyProcess {
  private child: ChildProcess | undefined;
  readonly configPath: string;
  readonly pidPath: string;
  readonly socketPath: string;
  readonly logPath: string;

  constructor(paths: { configPath: string; pidPath: string; socketPath: string; logPath: string }) {
    this.configPath = paths.configPath;
    this.pidPath = paths.pidPath;
    this.socketPath = paths.socketPath;
    this.logPath = paths.logPath;
  }

  async start(): Promise<void> {
    await this.reapStale();
    await this.validate();
    const log = createWriteStream(this.logPath, { flags: 'a' });
    const child = spawn('haproxy', ['-W', '-db', '-f', this.configPath, '-p', this.pidPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    await this.awaitWorker(undefined);
  }

  async reload(): Promise<void> {
    await this.validate();
    const before = await this.workerPid();
    this.child?.kill('SIGUSR2');
    await this.awaitWorker(before);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  async stats(): Promise<ServerStat[]> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.trim().split('\n');
    const cols = (header ?? '').replace(/^# /, '').split(',');
    const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? '';
    return rows
      .map((r) => r.split(','))
      .filter((r) => !['FRONTEND', 'BACKEND'].includes(at(r, 'svname')))
      .map((r) => ({
        backend: at(r, 'pxname'),
        server: at(r, 'svname'),
        status: at(r, 'status'),
        weight: Number(at(r, 'weight')),
        sessionsTotal: Number(at(r, 'stot')),
      }));
  }

  private async validate(): Promise<void> {
    try {
      await run('haproxy', ['-c', '-q', '-f', this.configPath], { timeout: 15_000 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`haproxy rejected ${this.configPath}: ${(e.stderr || e.stdout || e.message).trim()}`);
    }
  }

  /** a worker from an earlier run of this service (killed without shutdown) still holds our ports: end it */
  private async reapStale(): Promise<void> {
    if (!existsSync(this.pidPath)) return;
    for (const pid of readFileSync(this.pidPath, 'utf8').split(/\s+/).filter(Boolean).map(Number)) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.includes('haproxy') && cmdline.includes(this.configPath)) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(200);
  }

  private async workerPid(): Promise<string | undefined> {
    try {
      return /^Pid: (\d+)/m.exec(await this.command('show info'))?.[1];
    } catch {
      return undefined;
    }
  }

  private async awaitWorker(previous: string | undefined, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
        throw new Error(`haproxy exited with ${this.child.exitCode}; see ${this.logPath}`);
      }
      const pid = await this.workerPid();
      if (pid && pid !== previous) return;
      await sleep(50);
    }
    throw new Error(`haproxy worker did not answer on ${this.socketPath} within ${timeoutMs}ms; see ${this.logPath}`);
  }

  private command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(this.socketPath);
      let out = '';
      sock.setTimeout(3000, () => sock.destroy(new Error(`"${line}" on ${this.socketPath} timed out after 3000ms`)));
      sock.on('connect', () => sock.write(`${line}\n`));
      sock.on('data', (d) => {
        out += d.toString();
      });
      sock.on('end', () => resolve(out));
      sock.on('error', reject);
    });
  }
}
