import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';

export interface ControlHandlers {
  status(): unknown;
  restart(service: string): Promise<unknown>;
  shutdown(): Promise<void>;
}

/**
 * The supervisor's control API on a unix socket (reachable from the host whatever the node's network):
 * GET /status, POST /services/<name>/restart, POST /shutdown.
 */
export async function startControlServer(socketPath: string, h: ControlHandlers): Promise<Server> {
  rmSync(socketPath, { force: true });
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = req.url ?? '/';
    const restart = /^\/services\/([a-z0-9-]+)\/restart$/.exec(url);
    void (async () => {
      try {
        if (req.method === 'GET' && url === '/status') return send(200, h.status());
        if (req.method === 'POST' && restart) return send(200, await h.restart(restart[1] as string));
        if (req.method === 'POST' && url === '/shutdown') {
          send(202, { stopping: true });
          return void h.shutdown();
        }
        send(404, { error: `no route for ${req.method} ${url}` });
      } catch (err) {
        send(err instanceof Error && /runs no service/.test(err.message) ? 404 : 400, {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return server;
}
