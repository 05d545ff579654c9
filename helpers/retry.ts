import pRetry from 'p-retry';
import { BlockedError, SettledViolation, WaitSettledError, WaitTimeoutError } from '../contracts/errors.ts';

export interface EventuallyOptions {
  /** give up after this long (default 30 s) */
  timeoutMs?: number;
  /** first delay between attempts (default 50 ms, doubling up to maxIntervalMs) */
  intervalMs?: number;
  maxIntervalMs?: number;
  signal?: AbortSignal;
  /** what is awaited, for the error message */
  what?: string;
}

/**
 * The one retry primitive every poller uses: retry `probe` with backoff until it resolves, the deadline passes
 * (WaitTimeoutError naming what was awaited, for how long, and the last failure), or the signal aborts. A probe
 * that is blocked (BlockedError, e.g. an operation the target does not bind) is never retried: it rejects at once.
 * A probe whose observation settles the wait as failed (SettledViolation) is not retried either: the wait ends at
 * once with a WaitSettledError, which every caller reports as it reports a bound run out.
 */
export async function eventually<T>(probe: () => Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = performance.now();
  let attempts = 0;
  let lastError: unknown;
  try {
    return await pRetry(
      async () => {
        attempts++;
        return await probe();
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: options.intervalMs ?? 50,
        maxTimeout: options.maxIntervalMs ?? 1_000,
        randomize: false,
        maxRetryTime: timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        shouldRetry: ({ error }) => !(error instanceof BlockedError || error instanceof SettledViolation),
        onFailedAttempt: ({ error }) => {
          lastError = error;
        },
      },
    );
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason ?? err;
    if (err instanceof BlockedError) throw err;
    const waited = Math.round(performance.now() - started);
    if (err instanceof SettledViolation) {
      throw new WaitSettledError(
        `"${options.what ?? 'condition'}" settled as not reached after ${waited} ms (${attempts} attempts): ${err.message}`,
        waited,
      );
    }
    const last = lastError instanceof Error ? lastError.message : String(lastError ?? err);
    throw new WaitTimeoutError(
      `"${options.what ?? 'condition'}" not reached after ${waited} ms (${attempts} attempts); last: ${last}`,
      waited,
    );
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
