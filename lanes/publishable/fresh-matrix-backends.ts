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
  // the server must be listening before a lane points anything at it: a port already taken on the node ends busybox
  // httpd at once, and that is the harness's doing, not the target's
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const listening = await node.exec(
    `for i in $(seq 1 50); do kill -0 ${pid} 2>/dev/null || exit 3; ` +
      `grep -qE '^ *[0-9]+: [0-9A-F]+:${hexPort} [0-9A-F]+:0000 0A ' /proc/net/tcp && exit 0; sleep 0.1; done; exit 4`,
    { timeoutMs: 20_000 },
  );
  if (listening.exitCode !== 0) {
    await node.exec(`kill ${pid} 2>/dev/null; rm -rf ${root}`, { timeoutMs: 20_000 });
    throw new BackendNotListening(
      `backend ${name} on ${node.name} is not listening on ${bind}:${port}: ${listening.exitCode === 3 ? 'busybox httpd exited (port taken?)' : 'no listening socket after 5 s'}`,
    );
  }
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

/** A backend that could not start listening: the lane's own set-up failed, not a property of the target. */
export class BackendNotListening extends Error {
  override name = 'BackendNotListening';
}

/**
 * A random TCP port below the kernel's ephemeral range (32768 and up by default), so an outgoing connection on the
 * node cannot be holding it already.
 */
export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 12_000);
}

/** Start a backend on a random port, trying another port when the chosen one turns out to be taken. */
export async function startHttpBackendOnFreePort(node: NodeHandle, name: string, tries = 3): Promise<HttpBackend> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startHttpBackend(node, name, randomPort());
    } catch (e) {
      if (!(e instanceof BackendNotListening) || attempt >= tries) throw e;
    }
  }
}
