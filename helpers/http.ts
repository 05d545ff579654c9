import type { z } from 'zod';
import { HarnessError } from '../contracts/errors.ts';
import { assertDestination } from './destination-guard.ts';

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

/** A service answered 2xx with a body that is not the shape its contract says. */
export class ContractMismatchError extends HarnessError {
  readonly fields: string[];
  constructor(method: string, url: string, issues: z.core.$ZodIssue[]) {
    const fields = issues.map((i) => (i.path.length ? i.path.map(String).join('.') : '(body)'));
    const detail = issues.map((i, n) => `${fields[n]}: ${i.message}`).join('; ');
    super(`${method} ${url} answered a body its contract refuses: ${detail}`);
    this.name = 'ContractMismatchError';
    this.fields = fields;
  }
}

export interface CallOptions<S extends z.ZodType = z.ZodType> {
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** the contract's schema of the answer: a body of another shape fails naming the field */
  schema?: S;
}

/**
 * The harness's JSON-over-HTTP call: the destination is checked first (helpers/destination-guard.ts), the call is
 * bounded, and with `schema` the answer is parsed with the service's contract.
 */
export async function callJson<T = unknown>(method: string, url: string, options?: CallOptions): Promise<T>;
export async function callJson<S extends z.ZodType>(
  method: string,
  url: string,
  options: CallOptions<S> & { schema: S },
): Promise<z.infer<S>>;
export async function callJson(method: string, url: string, options: CallOptions = {}): Promise<unknown> {
  await assertDestination(new URL(url).hostname);
  const parsed = await requestJson(method, url, options);
  if (!options.schema) return parsed;
  const res = options.schema.safeParse(parsed);
  if (!res.success) throw new ContractMismatchError(method, url, res.error.issues);
  return res.data;
}

/**
 * The same call without the destination check, for the reference lab's own services talking to each other inside
 * their namespaces (the harness never uses it).
 */
export async function requestJson<T = unknown>(method: string, url: string, options: CallOptions = {}): Promise<T> {
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
