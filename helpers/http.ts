import { HarnessError } from '../contracts/errors.ts';

/**
 * The JSON-over-HTTP call every reference-lab port client and service uses. Non-2xx answers become an
 * HttpCallError carrying the status and the service's `error` text.
 */
export class HttpCallError extends HarnessError {
  readonly status: number;
  readonly body: unknown;
  constructor(method: string, url: string, status: number, body: unknown) {
    const detail =
      body && typeof body === 'object' && 'error' in body
        ? String((body as { error: unknown }).error)
        : JSON.stringify(body);
    super(`${method} ${url} answered ${status}: ${detail}`);
    this.name = 'HttpCallError';
    this.status = status;
    this.body = body;
  }
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export async function callJson<T = unknown>(method: string, url: string, options: CallOptions = {}): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // a non-JSON body is kept as text
  }
  if (!res.ok) throw new HttpCallError(method, url, res.status, parsed);
  return parsed as T;
}
