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
  | { readonly kind: 'failed'; readonly pattern: MarkerPattern; readonly event: MarkerEvent };

/**
 * The ordered-sequence matcher behind every marker wait: entries must be seen in order (other markers may come in
 * between), and any marker matching a failure pattern ends the wait at once, whatever the sequence's progress.
 */
export class MarkerSequence {
  readonly #sequence: readonly MarkerPattern[];
  readonly #failure: readonly MarkerPattern[];
  readonly #started: number;
  readonly hits: MarkerHit[] = [];
  readonly seen: MarkerEvent[] = [];
  #verdict: SequenceVerdict;

  constructor(sequence: readonly MarkerPattern[], failure: readonly MarkerPattern[], started = performance.now()) {
    this.#sequence = sequence;
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
