import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
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
  const answer = await fetch(url, {
    method,
    headers: jsonHeaders(options),
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const parsed = answerOf(method, url, { status: answer.status, ok: answer.ok, text: await answer.text() });
  if (!options.schema) return parsed;
  const res = options.schema.safeParse(parsed);
  if (!res.success) throw new ContractMismatchError(method, url, res.error.issues);
  return res.data;
}

/** What one HTTP exchange answered: the status and the body as text. */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  text: string;
}

/**
 * One HTTP/1.1 exchange over node:http(s), bounded by timeoutMs. The lab's services use it rather than fetch:
 * fetch loads Node's bundled undici on first use, about 13 MiB more in every long-running service process.
 */
export function httpExchange(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method, headers: options.headers, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.once('error', reject);
    req.end(options.body);
  });
}

/**
 * The same call without the destination check, for the reference lab's own services talking to each other inside
 * their namespaces (the harness never uses it), over httpExchange rather than fetch.
 */
export async function requestJson<T = unknown>(method: string, url: string, options: CallOptions = {}): Promise<T> {
  const res = await httpExchange(method, url, {
    headers: jsonHeaders(options),
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    timeoutMs: options.timeoutMs,
  });
  return answerOf<T>(method, url, res);
}

function jsonHeaders(options: CallOptions): Record<string, string> {
  return { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
}

/** The JSON (or text) body of a 2xx answer; any other status is an HttpCallError carrying it. */
function answerOf<T>(method: string, url: string, res: HttpAnswer): T {
  const text = res.text;
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // a non-JSON body is kept as text
  }
  if (!res.ok) throw new HttpCallError(method, url, res.status, parsed);
  return parsed as T;
}
