import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  HistoryTooLargeError,
  type KvOperation,
  type Outcome,
} from '../../helpers/linearizability.ts';

const op = (
  client: string,
  kind: 'put' | 'get',
  value: string | null,
  invokedAt: number,
  completedAt: number | undefined,
  outcome: Outcome = 'ok',
  key = 'k',
): KvOperation => ({
  client,
  op: kind,
  key,
  value,
  invokedAt,
  outcome,
  ...(completedAt === undefined ? {} : { completedAt }),
});

describe('linearizability of a key-value register', () => {
  it('accepts a sequential history and a first read of an absent key', () => {
    const v = checkLinearizable([
      op('c1', 'get', null, 0, 1),
      op('c1', 'put', 'a', 2, 3),
      op('c2', 'get', 'a', 4, 5),
      op('c1', 'put', 'b', 6, 7),
      op('c2', 'get', 'b', 8, 9),
    ]);
    expect(v.linearizable, v.explanation).toBe(true);
  });

  it('accepts concurrent reads that see a concurrent write take effect between them', () => {
    const v = checkLinearizable([
      op('w', 'put', 'a', 0, 10),
      op('r1', 'get', null, 1, 3),
      op('r2', 'get', 'a', 2, 4),
      op('r1', 'get', 'a', 5, 6),
    ]);
    expect(v.linearizable, v.explanation).toBe(true);
  });

  it('accepts a write of unknown outcome taking effect late, or never', () => {
    const late = checkLinearizable([
      op('c1', 'put', 'a', 0, undefined, 'unknown'),
      op('c2', 'put', 'b', 5, 6),
      op('c2', 'get', 'b', 7, 8),
      op('c3', 'get', 'a', 100, 101),
    ]);
    expect(late.linearizable, late.explanation).toBe(true);
    const never = checkLinearizable([op('c1', 'put', 'a', 0, undefined, 'unknown'), op('c3', 'get', null, 100, 101)]);
    expect(never.linearizable, never.explanation).toBe(true);
  });

  it('drops failed operations and reads without an answer', () => {
    const v = checkLinearizable([
      op('c1', 'put', 'a', 0, 1, 'failed'),
      op('c2', 'get', 'garbage', 2, undefined, 'unknown'),
      op('c2', 'get', null, 3, 4),
    ]);
    expect(v.linearizable, v.explanation).toBe(true);
    expect(checkLinearizable([op('c1', 'put', 'a', 0, 1, 'failed'), op('c2', 'get', 'a', 3, 4)]).linearizable).toBe(
      false,
    );
  });

  it('rejects a stale read after a completed write, naming the key and the read', () => {
    const v = checkLinearizable([
      op('c1', 'put', 'a', 0, 1, 'ok', 'x'),
      op('c1', 'get', 'a', 1.5, 1.8, 'ok', 'x'),
      op('c1', 'put', 'b', 2, 3, 'ok', 'x'),
      op('c2', 'get', 'a', 4, 5, 'ok', 'x'),
      op('c3', 'put', 'z', 0, 1, 'ok', 'y'),
    ]);
    expect(v.linearizable).toBe(false);
    expect(v.keys.find((k) => k.key === 'y')?.linearizable).toBe(true);
    expect(v.explanation).toContain('key "x"');
    expect(v.explanation).toContain('the value is "b"');
    expect(v.explanation).toContain('c2 get → "a" [4.0–5.0 ms]');
  });

  it('rejects a read of a value never written', () => {
    const v = checkLinearizable([op('c1', 'put', 'a', 0, 1), op('c2', 'get', 'q', 0.5, 5)]);
    expect(v.linearizable).toBe(false);
    expect(v.explanation).toContain('c2 get → "q"');
  });

  it('rejects two readers observing two concurrent writes in contradictory orders', () => {
    const v = checkLinearizable([
      op('w1', 'put', 'a', 0, 10),
      op('w2', 'put', 'b', 0, 10),
      op('r1', 'get', 'a', 1, 2),
      op('r2', 'get', 'b', 1, 2),
      op('r1', 'get', 'b', 3, 4),
      op('r2', 'get', 'a', 3, 4),
    ]);
    expect(v.linearizable).toBe(false);
  });

  it('refuses a key with more operations than its bound, clearly', () => {
    const ops = Array.from({ length: 11 }, (_, i) => op('c', 'put', `v${i}`, i, i + 0.5));
    expect(() => checkLinearizable(ops, { maxOperationsPerKey: 10 })).toThrow(HistoryTooLargeError);
    expect(() => checkLinearizable(ops, { maxOperationsPerKey: 10 })).toThrow(/key "k" has 11 operations/);
  });

  it('refuses a search past its configuration bound', () => {
    // 16 concurrent writes nobody reads: every subset is a configuration
    const ops = Array.from({ length: 16 }, (_, i) => op(`c${i}`, 'put', `v${i}`, 0, 100));
    ops.push(op('r', 'get', 'never', 200, 201));
    expect(() => checkLinearizable(ops, { maxConfigurations: 1_000 })).toThrow(/too concurrent to check/);
  });

  it('always accepts histories recorded from a real sequential execution, and rejects them with a forged read', () => {
    let seed = 0x2545f491;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x1_0000_0000;
    };
    let total = 0;
    let started = performance.now();
    for (let run = 0; run < 300; run++) {
      const history = sequentialExecution(rand, 2 + Math.floor(rand() * 4), 20 + Math.floor(rand() * 60));
      total += history.length;
      const v = checkLinearizable(history);
      expect(v.linearizable, `run ${run}: ${v.explanation}\n${JSON.stringify(history)}`).toBe(true);
      const reads = history.filter((h) => h.op === 'get' && h.outcome === 'ok');
      const forged = reads[Math.floor(rand() * reads.length)];
      if (forged) {
        forged.value = 'never-written';
        expect(checkLinearizable(history).linearizable).toBe(false);
      }
    }
    started = performance.now() - started;
    expect(total).toBeGreaterThan(10_000);
    expect(started).toBeLessThan(20_000);
  });
});

/**
 * Clients run one operation at a time against one in-memory register per key; each operation takes effect at a
 * random point inside its interval, in the order of those points. Some writes fail (never applied) and some end
 * unknown (applied or not); some reads end unknown (no answer).
 */
function sequentialExecution(rand: () => number, clients: number, perClient: number): KvOperation[] {
  interface Planned {
    op: KvOperation;
    point: number;
    applies: boolean;
  }
  const planned: Planned[] = [];
  let serial = 0;
  for (let c = 0; c < clients; c++) {
    let t = rand() * 5;
    for (let i = 0; i < perClient; i++) {
      const key = rand() < 0.5 ? 'k0' : 'k1';
      const isPut = rand() < 0.45;
      const invokedAt = t;
      const completedAt = t + 0.1 + rand() * 8;
      const point = invokedAt + rand() * (completedAt - invokedAt);
      const r = rand();
      const outcome: Outcome = r < 0.08 ? 'unknown' : r < 0.12 ? 'failed' : 'ok';
      const applies = outcome === 'ok' || (outcome === 'unknown' && rand() < 0.5);
      planned.push({
        op: {
          client: `c${c}`,
          op: isPut ? 'put' : 'get',
          key,
          value: isPut ? `v${serial++}` : null,
          invokedAt,
          outcome,
          ...(outcome === 'ok' ? { completedAt } : {}),
        },
        point,
        applies,
      });
      t = completedAt + rand() * 2;
    }
  }
  const register = new Map<string, string | null>();
  for (const p of [...planned].sort((a, b) => a.point - b.point)) {
    if (p.op.op === 'put') {
      if (p.applies) register.set(p.op.key, p.op.value);
    } else {
      p.op.value = p.op.outcome === 'ok' ? (register.get(p.op.key) ?? null) : 'no answer';
    }
  }
  return planned.map((p) => p.op);
}
