import { type ChunkStream, feedMarkers } from './marker-feed.ts';
import type { MarkerEvent } from './marker-parser.ts';

export type MarkerListener = (event: MarkerEvent) => void;

/**
 * Records every marker of a stream (a child's stdout, a serial socket) from the moment it is attached, so several
 * waits can run one after another on the same stream without losing what arrived in between. A wait on a
 * recorder with `from: 'start'` sees the history first; with `from: 'end'` only what arrives after it starts.
 */
export class MarkerRecorder implements Disposable {
  readonly label: string;
  readonly events: MarkerEvent[] = [];
  readonly #listeners = new Set<MarkerListener>();
  readonly #endListeners = new Set<(error?: unknown) => void>();
  readonly #stop = new AbortController();
  #ended = false;
  #error: unknown;

  constructor(stream: ChunkStream, label = 'stream') {
    this.label = label;
    feedMarkers(stream, (event) => this.#record(event), { signal: this.#stop.signal }).then(
      (how) => this.#finish(how === 'ended' ? undefined : null),
      (err: unknown) => this.#finish(err ?? new Error('stream failed')),
    );
  }

  /** true once the stream ended, failed or the recorder was closed */
  get ended(): boolean {
    return this.#ended;
  }

  /** the stream's error, if it failed */
  get error(): unknown {
    return this.#error;
  }

  /** listen for new markers; `onEnd` runs when the stream ends (with its error, if it failed). Returns unsubscribe. */
  subscribe(listener: MarkerListener, onEnd?: (error?: unknown) => void): () => void {
    this.#listeners.add(listener);
    if (onEnd) this.#endListeners.add(onEnd);
    return () => {
      this.#listeners.delete(listener);
      if (onEnd) this.#endListeners.delete(onEnd);
    };
  }

  /** stop recording (the stream itself is left alone) */
  close(): void {
    this.#stop.abort();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #record(event: MarkerEvent): void {
    this.events.push(event);
    for (const listener of [...this.#listeners]) listener(event);
  }

  /** error: undefined = ended cleanly, null = closed by us, anything else = the stream failed */
  #finish(error: unknown): void {
    this.#ended = true;
    if (error !== null && error !== undefined) this.#error = error;
    for (const onEnd of [...this.#endListeners]) onEnd(this.#error);
    this.#endListeners.clear();
  }
}

/** Start recording the markers of a stream. */
export function recordMarkers(stream: ChunkStream, label?: string): MarkerRecorder {
  return new MarkerRecorder(stream, label);
}
