import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectNode } from '../../../helpers/node-version.ts';

export interface InstanceMeta {
  id: string;
  service: string;
  pid: number;
  argv: string[];
  startedAt: string;
  log: string;
}

export interface InstanceView extends InstanceMeta {
  running: boolean;
  port: number | null;
}

const serverPath = new URL('./instance-server.ts', import.meta.url).pathname;

/**
 * Runs service instances as real processes, each in its own process group, with its log and pid metadata under
 * `${stateDir}/pids` (<id>.log, <id>.pid, <id>.json, <id>.port): the node-agent product contract. Instances
 * outlive a node-agent restart and are adopted again (replace-and-reconcile).
 */
export class InstanceRunner {
  readonly pidsDir: string;
  private readonly host: string;
  private readonly node: string;

  constructor(stateDir: string, host: string, node: string) {
    this.pidsDir = join(stateDir, 'pids');
    this.host = host;
    this.node = node;
    mkdirSync(this.pidsDir, { recursive: true });
  }

  list(): InstanceView[] {
    return readdirSync(this.pidsDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(this.pidsDir, f), 'utf8')) as InstanceMeta)
      .map((m) => ({ ...m, running: alive(m.pid), port: this.port(m.id) }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  start(id: string, service: string, command: string[] | null): InstanceMeta {
    const argv = command ?? [projectNode(), serverPath, '--instance', id, '--service', service];
    const log = join(this.pidsDir, `${id}.log`);
    const fd = openSync(log, 'a');
    try {
      const child = spawn(argv[0] as string, argv.slice(1), {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          UCP_NODE: this.node,
          UCP_INSTANCE_ID: id,
          UCP_INSTANCE_HOST: this.host,
          UCP_INSTANCE_PORT_FILE: join(this.pidsDir, `${id}.port`),
        },
      });
      child.unref();
      if (!child.pid) throw new Error(`instance ${id}: ${argv[0]} did not start`);
      const meta: InstanceMeta = { id, service, pid: child.pid, argv, startedAt: new Date().toISOString(), log };
      writeFileSync(join(this.pidsDir, `${id}.pid`), `${child.pid}\n`);
      writeFileSync(join(this.pidsDir, `${id}.json`), `${JSON.stringify(meta, null, 2)}\n`);
      return meta;
    } finally {
      closeSync(fd);
    }
  }

  /** SIGTERM the instance's process group and drop its pid metadata (the log stays) */
  stop(id: string): void {
    const meta = this.list().find((m) => m.id === id);
    if (meta?.running) {
      try {
        process.kill(-meta.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    for (const ext of ['json', 'pid', 'port']) rmSync(join(this.pidsDir, `${id}.${ext}`), { force: true });
  }

  private port(id: string): number | null {
    const file = join(this.pidsDir, `${id}.port`);
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) || null : null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return true;
  }
}
