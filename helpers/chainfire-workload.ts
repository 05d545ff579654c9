import type { ChainfirePort } from '../contracts/ports/chainfire.ts';
import { HttpCallError } from './http.ts';
import {
  checkLinearizable,
  HistoryTooLargeError,
  type KvOperation,
  type LinearizabilityVerdict,
} from './linearizability.ts';

/**
 * The errors a real etcd client retries: the request met an election or a leaderless moment. A write that met one
 * may still have been committed, so every attempt is recorded on its own (a failed attempt of a write: unknown).
 */
const transient = [
  /leader changed/i,
  /no leader/i,
  /not leader/i,
  /request timed out/i,
  /too many requests/i,
  /unhealthy cluster/i,
];

/** a short name for an error: the transient pattern it matches, or its first words */
export function transientReason(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : String(err);
  return transient.find((p) => p.test(message))?.source.replaceAll('\\', '');
}

/** The request was refused before it reached the store (bad request): it definitely did not happen. */
function definitelyRefused(err: unknown): boolean {
  return err instanceof HttpCallError && err.status >= 400 && err.status < 500 && err.status !== 408;
}

/**
 * Run `call`, retrying a transient error (leader changed, no leader, …) at most `attempts` times in all with a short
 * backoff; `onRetry` sees each retried reason. Other errors, and the last transient one, are thrown.
 */
export async function retryTransient<T>(
  call: () => Promise<T>,
  options: { attempts?: number; backoffMs?: number; onRetry?: (reason: string) => void } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const reason = transientReason(err);
      if (!reason || attempt >= attempts) throw err;
      options.onRetry?.(reason);
      await delay((options.backoffMs ?? 200) * attempt);
    }
  }
}

export interface WorkloadOptions {
  port: ChainfirePort;
  /** the nodes whose endpoints the clients use, one client per entry in turn */
  nodes: string[];
  /** concurrent clients (default: two per node) */
  clients?: number;
  /** keys are `<prefix>/w<window>-<n>`: a fresh set every window keeps each key's history small */
  keyPrefix: string;
  keysPerWindow?: number;
  windowMs?: number;
  /** pause of a client between operations (default 20 ms) */
  thinkMs?: number;
  /** an operation without an answer by then ends unknown (default 8 s) */
  operationTimeoutMs?: number;
  /** attempts of one operation through transient errors (default 4) */
  attempts?: number;
  /** no new operations past this many (default 6000) */
  maxOperations?: number;
  /** the clients run this long before the transition and after it (default 500 ms, 1000 ms) */
  leadMs?: number;
  tailMs?: number;
}

export interface WorkloadReport {
  history: KvOperation[];
  clients: number;
  nodes: string[];
  keys: number;
  durationMs: number;
  /** the verdict of the linearizability check over the whole history */
  verdict: LinearizabilityVerdict;
  counts: { operations: number; okPuts: number; okGets: number; unknown: number; failed: number };
  /** transient errors retried, by reason */
  retries: Record<string, number>;
  /** errors that ended an operation, by their first words */
  errors: Record<string, number>;
  /** one line for a check's detail */
  summary: string;
}

/**
 * Record a history while `transition` runs: concurrent clients write unique values and read linearizably through
 * the given nodes' endpoints; each attempt is an operation of the history (timeouts and connection errors: unknown
 * outcome). The clients start before the transition and stop after it; the history is then checked for
 * linearizability. A transition that throws stops the clients and rethrows.
 */
export async function recordHistoryDuring<T>(
  options: WorkloadOptions,
  transition: () => Promise<T>,
): Promise<{ result: T; report: WorkloadReport }> {
  const clients = options.clients ?? options.nodes.length * 2;
  const keysPerWindow = options.keysPerWindow ?? 2;
  const windowMs = options.windowMs ?? 2_000;
  const thinkMs = options.thinkMs ?? 20;
  const timeoutMs = options.operationTimeoutMs ?? 8_000;
  const attempts = options.attempts ?? 4;
  const maxOperations = options.maxOperations ?? 6_000;
  const history: KvOperation[] = [];
  const retries: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const keys = new Set<string>();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  let stopping = false;

  const attempt = async (entry: KvOperation, call: () => Promise<string | null>): Promise<unknown> => {
    history.push(entry);
    try {
      const value = await withTimeout(call(), timeoutMs);
      entry.completedAt = now();
      entry.outcome = 'ok';
      if (entry.op === 'get') entry.value = value;
      return undefined;
    } catch (err) {
      entry.outcome = definitelyRefused(err) ? 'failed' : 'unknown';
      return err;
    }
  };

  const client = async (c: number) => {
    const node = options.nodes[c % options.nodes.length] as string;
    const port = options.port.at(node);
    const name = `c${c}@${node}`;
    for (let seq = 0; !stopping && history.length < maxOperations; seq++) {
      const window = Math.floor(now() / windowMs);
      // each client writes a key and then reads it, moving across the window's keys
      const key = `${options.keyPrefix}/w${window}-${(c + Math.floor(seq / 2)) % keysPerWindow}`;
      keys.add(key);
      const isPut = seq % 2 === 0;
      for (let a = 1; a <= attempts; a++) {
        const entry: KvOperation = {
          client: name,
          op: isPut ? 'put' : 'get',
          key,
          value: isPut ? `${name}#${seq}.${a}` : null,
          invokedAt: now(),
          outcome: 'unknown',
        };
        const err = await attempt(entry, async () => {
          if (!isPut) return (await port.get(key, 'linearizable')).value;
          await port.put(key, entry.value as string);
          return entry.value;
        });
        if (err === undefined) break;
        const reason = transientReason(err);
        if (reason && a < attempts && !stopping) {
          retries[reason] = (retries[reason] ?? 0) + 1;
          await delay(100 * a);
          continue;
        }
        const what = reason ?? shortError(err);
        errors[what] = (errors[what] ?? 0) + 1;
        await delay(200);
        break;
      }
      await delay(thinkMs);
    }
  };

  const running = Array.from({ length: clients }, (_, c) => client(c));
  let result: T;
  try {
    await delay(options.leadMs ?? 500);
    result = await transition();
    await delay(options.tailMs ?? 1_000);
  } finally {
    stopping = true;
    await Promise.all(running);
  }
  let verdict: LinearizabilityVerdict;
  try {
    verdict = checkLinearizable(history);
  } catch (err) {
    if (err instanceof HistoryTooLargeError) {
      throw new HistoryTooLargeError(`${err.message} (workload: ${keys.size} keys, ${history.length} operations)`);
    }
    throw err;
  }
  const counts = {
    operations: history.length,
    okPuts: history.filter((h) => h.outcome === 'ok' && h.op === 'put').length,
    okGets: history.filter((h) => h.outcome === 'ok' && h.op === 'get').length,
    unknown: history.filter((h) => h.outcome === 'unknown').length,
    failed: history.filter((h) => h.outcome === 'failed').length,
  };
  const list = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ') || 'none';
  const durationMs = Math.round(now());
  const summary =
    `${counts.operations} operations by ${clients} clients via ${options.nodes.join(', ')} over ${keys.size} keys in ` +
    `${durationMs} ms: ${counts.okPuts} writes and ${counts.okGets} linearizable reads completed, ${counts.unknown} ` +
    `unknown, ${counts.failed} failed; transient errors retried: ${list(retries)}; other errors: ${list(errors)}`;
  return {
    result,
    report: {
      history,
      clients,
      nodes: options.nodes,
      keys: keys.size,
      durationMs,
      verdict,
      counts,
      retries,
      errors,
      summary,
    },
  };
}

function shortError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const tail = message.replace(/^[A-Z]+ \S+ answered \d+: /, '').replace(/^etcd \/\S+: /, '');
  return tail.split(/\s+/).slice(0, 6).join(' ');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  p.catch(() => {});
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
