import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { projectNode } from '../helpers/node-version.ts';
import { projectRoot } from '../helpers/proof-root.ts';
import { ApiError } from './controller-api.ts';
import type { NodeConfig } from './node/node-config.ts';
import { nodePaths } from './node/node-config.ts';

export type PowerState = 'running' | 'stopped';

/**
 * One lab node as the controller sees it: a process tree `setpriv --pdeathsig KILL ip netns exec <ns> unshare
 * --pid ... supervisor.ts`. Killing the unshare process kills the node's whole PID namespace (power loss); the
 * parent-death signal does the same if the controller itself dies.
 */
export class ControllerNode {
  readonly config: NodeConfig;
  readonly netns: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(config: NodeConfig, netns: string) {
    this.config = config;
    this.netns = netns;
  }

  get state(): PowerState {
    return this.child ? 'running' : 'stopped';
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  start(): void {
    if (this.child) return;
    const paths = nodePaths(this.config.nodeDir);
    const log = openSync(paths.supervisorLog, 'a');
    const child = spawn(
      'setpriv',
      [
        '--pdeathsig',
        'KILL',
        '--',
        'ip',
        'netns',
        'exec',
        this.netns,
        'unshare',
        '--pid',
        '--fork',
        '--kill-child',
        '--mount-proc',
        '--uts',
        '--',
        ...(this.config.supervisor?.argv ?? [projectNode(), join(projectRoot, 'lab/node/supervisor.ts')]),
        paths.config,
      ],
      { stdio: ['ignore', log, log], cwd: projectRoot, env: { ...process.env, ...this.config.supervisor?.env } },
    );
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        resolve();
      });
    });
  }

  /** Graceful shutdown through the supervisor's control socket; power is cut if it takes longer than graceMs. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.child) return;
    try {
      await this.control('POST', '/shutdown');
    } catch {
      // no control socket yet (still booting): cut power
      return await this.kill();
    }
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Power loss: SIGKILL the namespace's parent; every process of the node dies at once. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The supervisor's control API (unix socket). */
  control<T = unknown>(method: string, path: string, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.config.controlSocket, method, path, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const body = text ? JSON.parse(text) : null;
          if ((res.statusCode ?? 500) >= 300)
            reject(new ApiError(res.statusCode ?? 500, `${this.config.node} supervisor: ${body?.error ?? text}`));
          else resolve(body as T);
        });
      });
      req.on('timeout', () =>
        req.destroy(new Error(`${this.config.node} supervisor did not answer ${method} ${path} in ${timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end();
    });
  }
}
