import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the deployer knows about one node class: the install plan and the desired system. */
export interface NodeClassPlan {
  nixos_configuration: string;
  disko_config_path: string;
  target_disk_by_id: string;
  /** desired_system.target_system published for nodes of this class */
  target_system: string;
}

export interface BootstrapDeployerOptions {
  bootstrapToken: string;
  bundlePath: string;
  /** node id → class plan (the pre-registered nodes) */
  nodes: Record<string, NodeClassPlan>;
  host?: string;
  port?: number;
}

export interface ObservedSystem {
  target_system: string;
  status: string;
  current_system?: string;
}

/**
 * The deployer calls the lab installer and nix-agent make (lab/baremetal/deployer-contract.md), served on loopback:
 * phone-home with bootstrap-token auth, install plans per node class, the flake bundle, desired and observed system.
 */
export async function startBootstrapDeployer(options: BootstrapDeployerOptions) {
  const phoneHomes: Array<{ node_id: string; body: Record<string, unknown> }> = [];
  const observed = new Map<string, ObservedSystem>();
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
  };
  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    return JSON.parse(raw || '{}') as Record<string, unknown>;
  };
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://deployer');
      if (req.headers.authorization !== `Bearer ${options.bootstrapToken}`) {
        return send(res, 401, { error: 'invalid bootstrap token' });
      }
      if (req.method === 'POST' && url.pathname === '/api/v1/phone-home') {
        const body = await readJson(req);
        const nodeId = String(body.node_id ?? '');
        const plan = options.nodes[nodeId];
        if (!plan) return send(res, 404, { error: `node "${nodeId}" is not registered` });
        phoneHomes.push({ node_id: nodeId, body });
        const { target_system: _, ...installPlan } = plan;
        return send(res, 200, { node_id: nodeId, ...installPlan, bundle_url: '/api/v1/bundle' });
      }
      if (req.method === 'GET' && url.pathname === '/api/v1/bundle') {
        const size = (await stat(options.bundlePath)).size;
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': size });
        createReadStream(options.bundlePath).pipe(res);
        return;
      }
      const m = /^\/api\/v1\/nodes\/([^/]+)\/(desired-system|observed-system)$/.exec(url.pathname);
      const plan = m ? options.nodes[decodeURIComponent(m[1] as string)] : undefined;
      if (m && plan && req.method === 'GET' && m[2] === 'desired-system') {
        return send(res, 200, { node_id: m[1], target_system: plan.target_system });
      }
      if (m && plan && req.method === 'POST' && m[2] === 'observed-system') {
        observed.set(m[1] as string, (await readJson(req)) as unknown as ObservedSystem);
        return send(res, 200, { ok: true });
      }
      return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    } catch (err) {
      return send(res, 500, { error: err instanceof Error ? err.message : String(err) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    phoneHomes,
    observed: (nodeId: string) => observed.get(nodeId),
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type BootstrapDeployer = Awaited<ReturnType<typeof startBootstrapDeployer>>;
