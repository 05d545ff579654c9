import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type FaultCatalogue, FaultSwitches } from './fault-switches.ts';
import { readServiceEnv, type ServiceEnvironment } from './service-env.ts';

/** An error with an HTTP status, turned into `{ "error": message }`. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** the parsed JSON body (undefined for an empty body) */
  readonly body: unknown;
  readonly raw: Buffer;
  /** the client's address as this server saw it (IPv4 without port; an IPv4-mapped IPv6 address unwrapped) */
  readonly remoteAddress: string;
}

/** A route answers with a JSON value, or a Reply for status, headers or raw bytes. */
export type Reply = { status?: number; json?: unknown; body?: string | Uint8Array; headers?: Record<string, string> };
export type Handler = (req: Request) => Promise<unknown | Reply> | unknown | Reply;

export function reply(r: Reply): Reply & { [replyTag]: true } {
  return { ...r, [replyTag]: true };
}
const replyTag = Symbol('reply');

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

export interface HttpServiceOptions<F extends FaultCatalogue> {
  faults: F;
  /** register routes; `env` and `faults` are the service's own */
  routes(app: RouteTable, ctx: { env: ServiceEnvironment; faults: FaultSwitches<F> }): void | Promise<void>;
  /** called before the server closes on SIGTERM/SIGINT */
  onShutdown?(): void | Promise<void>;
  /** extra health facts for GET /health */
  health?(): Record<string, unknown> | Promise<Record<string, unknown>>;
}

export class RouteTable {
  readonly routes: Route[] = [];
  on(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const source = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)(\*)?/g, (_m, key: string, rest?: string) => {
      keys.push(key);
      return rest ? '(.+)' : '([^/]+)';
    });
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }
  get(path: string, h: Handler): this {
    return this.on('GET', path, h);
  }
  post(path: string, h: Handler): this {
    return this.on('POST', path, h);
  }
  put(path: string, h: Handler): this {
    return this.on('PUT', path, h);
  }
  delete(path: string, h: Handler): this {
    return this.on('DELETE', path, h);
  }
}

/**
 * Start a lab service over HTTP following the service process contract: listen on UCP_LISTEN, answer
 * GET /health and GET /_lab/faults, read fault switches on every request, print the ready marker.
 */
export async function startHttpService<F extends FaultCatalogue>(options: HttpServiceOptions<F>): Promise<Server> {
  const env = readServiceEnv();
  const preset = (process.env.UCP_FAULTS ?? '').split(',').filter(Boolean);
  const faults = new FaultSwitches(options.faults, env.faultsFile, preset);
  const table = new RouteTable();
  table.get('/health', async () => ({
    service: env.service,
    node: env.node,
    status: 'ok',
    ...(options.health ? await options.health() : {}),
  }));
  table.get('/_lab/faults', () => ({ catalogue: options.faults, active: [...faults.active()] }));
  await options.routes(table, { env, faults });

  const server = createServer((req, res) => {
    void dispatch(table, req, res);
  });
  // a client that half-closes after its request (busybox nc, HTTP/1.0) still gets the answer of a handler that
  // awaits: Node's default ends the connection at the client's FIN, before an async route has answered
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.port, env.host, () => resolve());
  });
  const shutdown = async () => {
    await options.onShutdown?.();
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  process.stdout.write(`ULTRACLOUD_MARKER service.${env.service}.ready ${env.node} ${env.host}:${env.port}\n`);
  return server;
}

async function dispatch(table: RouteTable, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://lab');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    let pathMatched = false;
    for (const r of table.routes) {
      const m = r.pattern.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (r.method === req.method) {
        route = r;
        match = m;
        break;
      }
    }
    if (!route || !match) throw new HttpError(pathMatched ? 405 : 404, `no route for ${req.method} ${url.pathname}`);
    const params: Record<string, string> = {};
    route.keys.forEach((k, i) => {
      params[k] = decodeURIComponent(match[i + 1] ?? '');
    });
    const isJson = raw.length > 0 && (req.headers['content-type'] ?? 'application/json').includes('json');
    let body: unknown;
    if (isJson) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpError(400, 'request body is not valid JSON');
      }
    }
    const out = await route.handler({
      method: req.method ?? 'GET',
      path: url.pathname,
      params,
      query: url.searchParams,
      headers: req.headers,
      body,
      raw,
      remoteAddress: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
    });
    if (out && typeof out === 'object' && replyTag in out) {
      const r = out as Reply;
      const payload = r.body ?? (r.json === undefined ? '' : JSON.stringify(r.json));
      res.writeHead(r.status ?? 200, {
        'content-type': r.body === undefined ? 'application/json' : 'application/octet-stream',
        ...r.headers,
      });
      res.end(payload);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out ?? null));
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
  }
}
