import { createServer, type Server } from 'node:http';
import type { ControllerNode } from './controller-node.ts';
import type { ServiceStatus } from './node/service-process.ts';

export interface NodeReport {
  name: string;
  role: string;
  address: string;
  state: 'running' | 'stopped';
  boot: number | null;
  ready: boolean;
  services: Array<ServiceStatus & { health: 'healthy' | 'unhealthy' | 'down' }>;
}

export interface ControllerApi {
  nodes(): Promise<NodeReport[]>;
  power(node: string, action: string): Promise<NodeReport>;
  restartService(node: string, service: string): Promise<unknown>;
  setFault(body: unknown): Promise<string[]>;
  clearFault(body: unknown): Promise<string[]>;
  activeFaults(): Promise<string[]>;
  /** copy host-built store paths into the lab's signed binary cache (lab/cluster/binary-cache.ts) */
  pushToBinaryCache(body: unknown): Promise<{ paths: string[] }>;
  /** keep the lab's current state as the one every restore returns to (lab/cluster/lab-snapshot.ts) */
  takeSnapshot(): Promise<unknown>;
  /** the snapshot taken (or null), and whether a lane used the lab since it or the last restore */
  snapshot(): Promise<unknown>;
  /** a lane is about to use the lab */
  markUsed(): Promise<unknown>;
  /** every node back to the snapshot; answers once every node is ready and healthy again */
  restore(body: unknown): Promise<unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The controller's loopback HTTP API: GET /nodes, POST /nodes/<n>/power {action}, POST
 * /nodes/<n>/services/<svc>/restart, GET/PUT/DELETE /faults, POST /binary-cache {paths}, POST/GET /snapshot,
 * POST /restore {timeoutMs?, ifUsed?}, POST /used.
 */
export async function startControllerApi(api: ControllerApi): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        const body: unknown = text ? JSON.parse(text) : {};
        const path = new URL(req.url ?? '/', 'http://controller').pathname;
        const power = /^\/nodes\/([a-z0-9-]+)\/power$/.exec(path);
        const restart = /^\/nodes\/([a-z0-9-]+)\/services\/([a-z0-9-]+)\/restart$/.exec(path);
        if (req.method === 'GET' && path === '/nodes') return send(200, await api.nodes());
        if (req.method === 'POST' && power) {
          const action = (body as { action?: unknown }).action;
          return send(200, await api.power(power[1] as string, String(action)));
        }
        if (req.method === 'POST' && restart) {
          return send(200, await api.restartService(restart[1] as string, restart[2] as string));
        }
        if (path === '/faults' && req.method === 'GET') return send(200, await api.activeFaults());
        if (path === '/faults' && req.method === 'PUT') return send(200, await api.setFault(body));
        if (path === '/faults' && req.method === 'DELETE') return send(200, await api.clearFault(body));
        if (path === '/binary-cache' && req.method === 'POST') return send(200, await api.pushToBinaryCache(body));
        if (path === '/snapshot' && req.method === 'POST') return send(200, await api.takeSnapshot());
        if (path === '/snapshot' && req.method === 'GET') return send(200, await api.snapshot());
        if (path === '/restore' && req.method === 'POST') return send(200, await api.restore(body));
        if (path === '/used' && req.method === 'POST') return send(200, await api.markUsed());
        send(404, { error: `no route for ${req.method} ${path}` });
      } catch (err) {
        send(err instanceof ApiError ? err.status : 500, { error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

export async function probeHealth(listen: string, name: string): Promise<'healthy' | 'unhealthy' | 'down'> {
  if (name === 'sshd') return 'healthy';
  try {
    const res = await fetch(`http://${listen}/health`, { signal: AbortSignal.timeout(1_500) });
    await res.body?.cancel();
    return res.ok ? 'healthy' : 'unhealthy';
  } catch {
    return 'down';
  }
}

export function findNode(nodes: ControllerNode[], name: string): ControllerNode {
  const node = nodes.find((n) => n.config.node === name);
  if (!node) throw new ApiError(404, `no lab node "${name}" (nodes: ${nodes.map((n) => n.config.node).join(', ')})`);
  return node;
}
