/**
 * A linearizability checker for a key-value register (Wing & Gong's search with Lowe's memoisation, as in Knossos
 * and Porcupine). A history is checked key by key (a register per key is linearizable iff every key is).
 *
 * Outcomes: `ok` happened between its invocation and completion; `failed` definitely did not happen (dropped);
 * `unknown` may have taken effect at any point after its invocation, or never (a write is kept with an open end; a
 * read with no answer constrains nothing and is dropped). Every key starts absent (`null`).
 */

export type Outcome = 'ok' | 'failed' | 'unknown';

export interface KvOperation {
  client: string;
  op: 'put' | 'get';
  key: string;
  /** the value written (put) or read (get; null: the key was absent) */
  value: string | null;
  /** ms on one monotonic clock */
  invokedAt: number;
  /** ms; ignored for an unknown outcome */
  completedAt?: number;
  outcome: Outcome;
}

export interface KeyVerdict {
  key: string;
  linearizable: boolean;
  /** operations of the key that the search ordered (ok and unknown writes, ok reads) */
  operations: number;
  /** on failure: the longest order found, the state it leaves, and the operations none of which can come next */
  explanation?: string;
}

export interface LinearizabilityVerdict {
  linearizable: boolean;
  keys: KeyVerdict[];
  /** on failure: the first key that cannot be ordered and why */
  explanation?: string;
}

export interface CheckOptions {
  /** refuse a key with more operations than this (default 2000) */
  maxOperationsPerKey?: number;
  /** refuse a key whose search visits more (linearized set, state) configurations than this (default 2,000,000) */
  maxConfigurations?: number;
}

/** The history cannot be checked within the bounds: the caller must split it (e.g. more keys, shorter windows). */
export class HistoryTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryTooLargeError';
  }
}

interface Entry {
  index: number;
  op: KvOperation;
  invoke: number;
  complete: number;
  /** an ok operation must be linearized; an unknown write may stay out */
  required: boolean;
}

export function checkLinearizable(history: readonly KvOperation[], options: CheckOptions = {}): LinearizabilityVerdict {
  const byKey = new Map<string, KvOperation[]>();
  for (const op of history) {
    const list = byKey.get(op.key) ?? [];
    list.push(op);
    byKey.set(op.key, list);
  }
  const keys = [...byKey.entries()].map(([key, ops]) => checkKey(key, ops, options));
  const bad = keys.find((k) => !k.linearizable);
  return bad
    ? { linearizable: false, keys, explanation: `key "${bad.key}": ${bad.explanation}` }
    : { linearizable: true, keys };
}

function checkKey(key: string, ops: KvOperation[], options: CheckOptions): KeyVerdict {
  const maxOps = options.maxOperationsPerKey ?? 2_000;
  const maxConfigurations = options.maxConfigurations ?? 2_000_000;
  const kept = ops.filter((o) => o.outcome === 'ok' || (o.outcome === 'unknown' && o.op === 'put'));
  if (kept.length > maxOps) {
    throw new HistoryTooLargeError(
      `key "${key}" has ${kept.length} operations to order, more than the checker's bound of ${maxOps}: spread the workload over more keys`,
    );
  }
  const entries: Entry[] = kept
    .map((op) => {
      if (op.outcome === 'ok' && (op.completedAt === undefined || op.completedAt < op.invokedAt)) {
        throw new Error(`an ok ${op.op} of "${key}" by ${op.client} has no completion after its invocation`);
      }
      return {
        op,
        invoke: op.invokedAt,
        complete: op.outcome === 'ok' ? (op.completedAt as number) : Number.POSITIVE_INFINITY,
        required: op.outcome === 'ok',
        index: 0,
      };
    })
    .sort((a, b) => a.invoke - b.invoke || a.complete - b.complete);
  entries.forEach((e, i) => {
    e.index = i;
  });
  const required = entries.filter((e) => e.required).length;

  const seen = new Set<string>();
  let best: { order: Entry[]; state: string | null; blocked: Entry[] } = { order: [], state: null, blocked: [] };
  let bestDone = -1;
  const linearized = new Uint8Array(entries.length);
  const order: Entry[] = [];

  // iterative DFS over (linearized set, state): each frame tries the candidates that may come next in turn
  interface Frame {
    state: string | null;
    candidates: Entry[];
    next: number;
    done: number;
  }
  const frameFor = (state: string | null, done: number): Frame | null => {
    const memo = `${maskOf(linearized)}|${state === null ? '\u0000' : `=${state}`}`;
    if (seen.has(memo)) return null;
    seen.add(memo);
    if (seen.size > maxConfigurations) {
      throw new HistoryTooLargeError(
        `key "${key}": the search passed ${maxConfigurations} configurations over ${entries.length} operations; the history is too concurrent to check — spread it over more keys or shorter windows`,
      );
    }
    // an operation may come next unless some required operation still to be placed completed before it began
    let horizon = Number.POSITIVE_INFINITY;
    for (const e of entries) if (!linearized[e.index] && e.required && e.complete < horizon) horizon = e.complete;
    const candidates = entries.filter((e) => !linearized[e.index] && e.invoke <= horizon);
    return { state, candidates, next: 0, done };
  };

  const root = frameFor(null, 0) as Frame;
  const stack: Frame[] = [root];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.done === required) return { key, linearizable: true, operations: entries.length };
    let pushed = false;
    while (frame.next < frame.candidates.length) {
      const e = frame.candidates[frame.next++] as Entry;
      if (e.op.op === 'get' && e.op.value !== frame.state) continue;
      const state = e.op.op === 'put' ? e.op.value : frame.state;
      linearized[e.index] = 1;
      const child = frameFor(state, frame.done + (e.required ? 1 : 0));
      if (child) {
        order.push(e);
        stack.push(child);
        pushed = true;
        break;
      }
      linearized[e.index] = 0;
    }
    if (pushed) continue;
    if (frame.done > bestDone) {
      bestDone = frame.done;
      best = {
        order: [...order],
        state: frame.state,
        blocked: frame.candidates.filter((c) => c.required || c.op.op === 'get'),
      };
    }
    stack.pop();
    const undo = order.pop();
    if (undo) linearized[undo.index] = 0;
  }
  return { key, linearizable: false, operations: entries.length, explanation: explain(best) };
}

function maskOf(bits: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bits.length; i += 15) {
    let word = 0;
    for (let j = i; j < Math.min(i + 15, bits.length); j++) word = (word << 1) | (bits[j] as number);
    s += String.fromCharCode(word + 0x20);
  }
  return s;
}

export function describeOperation(op: KvOperation): string {
  const v = op.value === null ? 'absent' : JSON.stringify(op.value);
  const what = op.op === 'put' ? `put ${v}` : `get → ${v}`;
  const end = op.outcome === 'ok' ? `${(op.completedAt as number).toFixed(1)}` : '?';
  return `${op.client} ${what} [${op.invokedAt.toFixed(1)}–${end} ms${op.outcome === 'unknown' ? ', unknown outcome' : ''}]`;
}

function explain(best: { order: Entry[]; state: string | null; blocked: Entry[] }): string {
  const tail = best.order.slice(-3).map((e) => describeOperation(e.op));
  const after =
    best.order.length === 0 ? 'from the start' : `after ${best.order.length} ordered operations (… ${tail.join('; ')})`;
  const state = best.state === null ? 'absent' : JSON.stringify(best.state);
  const blocked = best.blocked.map((e) => describeOperation(e.op));
  return `${after}, the value is ${state} and none of these can come next: ${blocked.join('; ') || '(none)'}`;
}
