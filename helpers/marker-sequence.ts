import type { MarkerEvent } from './marker-parser.ts';
import { firstMatching, type MarkerPattern, matchesMarker } from './marker-pattern.ts';

/** A sequence entry that was matched: which marker satisfied it, and when. */
export interface MarkerHit {
  /** the sequence entry (exact name or `.*` pattern) */
  readonly pattern: MarkerPattern;
  /** the marker's name as seen */
  readonly marker: string;
  /** wall-clock time it was read (ISO 8601) */
  readonly at: string;
  /** milliseconds since the wait started */
  readonly elapsedMs: number;
  readonly line: string;
}

export type SequenceVerdict =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'complete' }
  | { readonly kind: 'failed'; readonly pattern: MarkerPattern; readonly event: MarkerEvent }
  | {
      readonly kind: 'out-of-order';
      readonly early: MarkerPattern;
      readonly awaiting: MarkerPattern;
      readonly event: MarkerEvent;
    };

/**
 * The ordered-sequence matcher behind every marker wait: entries must be seen in order (other markers may come in
 * between), and any marker matching a failure pattern ends the wait at once, whatever the sequence's progress.
 * With `strict`, a marker matching a later entry of the sequence while an earlier one is still awaited also ends the
 * wait at once (verdict out-of-order, naming the entry that came early), instead of being passed over.
 */
export class MarkerSequence {
  readonly #sequence: readonly MarkerPattern[];
  readonly #failure: readonly MarkerPattern[];
  readonly #started: number;
  readonly #strict: boolean;
  readonly hits: MarkerHit[] = [];
  readonly seen: MarkerEvent[] = [];
  #verdict: SequenceVerdict;

  constructor(
    sequence: readonly MarkerPattern[],
    failure: readonly MarkerPattern[],
    started = performance.now(),
    options: { strict?: boolean } = {},
  ) {
    this.#sequence = sequence;
    this.#strict = options.strict ?? false;
    this.#failure = failure;
    this.#started = started;
    this.#verdict = sequence.length === 0 ? { kind: 'complete' } : { kind: 'waiting' };
  }

  get verdict(): SequenceVerdict {
    return this.#verdict;
  }

  /** the entry awaited next, or null once the sequence is complete */
  get awaiting(): MarkerPattern | null {
    return this.#sequence[this.hits.length] ?? null;
  }

  observe(event: MarkerEvent): SequenceVerdict {
    if (this.#verdict.kind !== 'waiting') return this.#verdict;
    this.seen.push(event);
    const failed = firstMatching(this.#failure, event.name);
    if (failed !== undefined) {
      this.#verdict = { kind: 'failed', pattern: failed, event };
      return this.#verdict;
    }
    const next = this.awaiting;
    if (next !== null && this.#strict && !matchesMarker(next, event.name)) {
      const early = this.#sequence.slice(this.hits.length + 1).find((p) => matchesMarker(p, event.name));
      if (early !== undefined) {
        this.#verdict = { kind: 'out-of-order', early, awaiting: next, event };
        return this.#verdict;
      }
    }
    if (next !== null && matchesMarker(next, event.name)) {
      const elapsedMs = Math.round(performance.now() - this.#started);
      this.hits.push({ pattern: next, marker: event.name, at: event.at, elapsedMs, line: event.line });
      if (this.hits.length === this.#sequence.length) this.#verdict = { kind: 'complete' };
    }
    return this.#verdict;
  }

  elapsedMs(): number {
    return Math.round(performance.now() - this.#started);
  }
}
