import type { NodeHandle } from '../../contracts/node-handle.ts';
import type { TenantNetwork, TenantPort } from '../../contracts/ports/prismnet.ts';

/** A tenant port's address brought up on its network's bridge on the worker that carries it. */
export interface PortAddress {
  readonly ip: string;
  release(): Promise<void>;
}

/**
 * Hold a PrismNet port's address on the tenant bridge of `worker`, where a guest interface on that port holds
 * it, so traffic to the port crosses the worker's PrismNet dataplane.
 */
export async function holdPortAddress(
  worker: NodeHandle,
  network: TenantNetwork,
  port: TenantPort,
): Promise<PortAddress> {
  await worker.succeed(`ip addr replace ${port.ip}/32 dev ${network.bridge}`, { timeoutMs: 20_000 });
  return {
    ip: port.ip,
    release: async () => void (await worker.exec(`ip addr del ${port.ip}/32 dev ${network.bridge}`)),
  };
}

/**
 * A client node's route to a port address through the worker carrying it, so connections from the client
 * arrive at the worker the way tenant traffic does.
 */
export async function routeToPort(client: NodeHandle, worker: NodeHandle, ip: string): Promise<() => Promise<void>> {
  await client.succeed(`ip route replace ${ip}/32 via ${worker.address}`, { timeoutMs: 20_000 });
  return async () => void (await client.exec(`ip route del ${ip}/32 via ${worker.address}`));
}

/**
 * One HTTP GET over a fresh TCP connection from `client`: the body, or null when no connection completes within
 * `seconds` (a dropped SYN, a refused connection or no answer).
 */
export async function httpFrom(client: NodeHandle, url: string, seconds = 4): Promise<string | null> {
  const r = await client.exec(`timeout ${seconds} busybox wget -q -O - ${url}`, { timeoutMs: (seconds + 15) * 1000 });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** How one TCP connection attempt ended: answered, refused (RST / ICMP unreachable), or no answer at all. */
export type TcpOutcome =
  | { kind: 'answered'; body: string }
  | { kind: 'refused'; detail: string }
  | { kind: 'no-answer'; detail: string }
  | { kind: 'failed'; detail: string };

/**
 * One HTTP GET from `client` over a fresh TCP connection, classified by how it ended: a silently dropped SYN
 * gives no answer within `seconds`, a rejected one is refused at once.
 */
export async function tcpOutcomeFrom(client: NodeHandle, url: string, seconds = 4): Promise<TcpOutcome> {
  const r = await client.exec(`timeout ${seconds} busybox wget -q -O - ${url} 2>&1; rc=$?; echo; echo "exit=$rc"`, {
    timeoutMs: (seconds + 15) * 1000,
  });
  const lines = r.stdout.trimEnd().split('\n');
  const code = Number(/^exit=(\d+)$/.exec(lines.pop() ?? '')?.[1] ?? Number.NaN);
  const out = lines.join('\n').trim();
  if (code === 0) return { kind: 'answered', body: out };
  if (code === 124) return { kind: 'no-answer', detail: `no answer within ${seconds}s` };
  if (/refused|unreachable/i.test(out)) return { kind: 'refused', detail: out };
  return { kind: 'failed', detail: `exit ${code}: ${out} (ssh exit ${r.exitCode}, stderr ${r.stderr.trim()})` };
}

/** One HTTP POST of `data` over a fresh TCP connection from `client`: the body, or null when it failed. */
export async function httpPostFrom(
  client: NodeHandle,
  url: string,
  data: string,
  seconds = 15,
): Promise<string | null> {
  if (!/^[\w .:-]*$/.test(data)) throw new Error(`post data "${data}" must be plain words`);
  const r = await client.exec(`timeout ${seconds} busybox wget -q -O - --post-data '${data}' ${url}`, {
    timeoutMs: (seconds + 15) * 1000,
  });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}
