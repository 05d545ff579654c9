import type { NodeHandle } from '../../contracts/node-handle.ts';

/**
 * A small HTTP server on a node that answers every request with its own name; its /cgi-bin/request answers with
 * the request headers it received (as HTTP_* lines) and the peer address, so a lane can see what reached it.
 */
export interface HttpBackend {
  readonly name: string;
  readonly node: string;
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Start busybox httpd on `node` at `bind`:`port` (default: the node's address), serving one page whose body is `name`: the lane can then tell which
 * backend answered a request through a load balancer. The server runs in its own session so it outlives the SSH
 * command; stop() kills exactly the process it started and removes its document root.
 */
export async function startHttpBackend(
  node: NodeHandle,
  name: string,
  port: number,
  bind = node.address,
): Promise<HttpBackend> {
  const root = `/tmp/ucp-backend-${name}`;
  const pid = (
    await node.succeed(
      [
        `mkdir -p ${root}`,
        `printf %s ${name} > ${root}/index.html`,
        `mkdir -p ${root}/cgi-bin`,
        `printf '%s\\n' '#!/bin/sh' 'printf "Content-Type: text/plain\\r\\n\\r\\n"' 'env | grep -E "^(HTTP_|REMOTE_ADDR=)" | sort' > ${root}/cgi-bin/request`,
        `chmod 755 ${root}/cgi-bin/request`,
        // grouped: only the server goes to the background, after its page is written
        `{ setsid nohup busybox httpd -f -p ${bind}:${port} -h ${root} </dev/null >/dev/null 2>&1 & echo $!; }`,
      ].join(' && '),
      { timeoutMs: 20_000 },
    )
  ).trim();
  if (!/^\d+$/.test(pid)) throw new Error(`starting backend ${name} on ${node.name} printed "${pid}", not a pid`);
  return {
    name,
    node: node.name,
    host: bind,
    port,
    async stop() {
      await node.succeed(`kill ${pid} 2>/dev/null; rm -rf ${root}`, { timeoutMs: 20_000 });
    },
  };
}

/** The path of a backend's page that answers with the request headers it received. */
export const requestEchoPath = '/cgi-bin/request';

/** The headers an echo page reports (HTTP_X_FORWARDED_PROTO=https → x-forwarded-proto: https), lower-cased. */
export function parseRequestEcho(body: string): { headers: Record<string, string>; remoteAddr: string } {
  const headers: Record<string, string> = {};
  let remoteAddr = '';
  for (const line of body.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'REMOTE_ADDR') remoteAddr = value;
    else if (key.startsWith('HTTP_')) headers[key.slice(5).toLowerCase().replaceAll('_', '-')] = value;
  }
  return { headers, remoteAddr };
}

/** A TCP port from the dynamic range, different on every call and run. */
export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}
