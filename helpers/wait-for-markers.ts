import { HarnessError } from '../contracts/errors.ts';
import {
  MarkerFailureError,
  MarkerOrderError,
  MarkerStreamEndedError,
  MarkerTimeoutError,
  type MarkerWaitState,
} from './marker-errors.ts';
import { type ChunkStream, feedMarkers } from './marker-feed.ts';
import type { MarkerEvent } from './marker-parser.ts';
import { assertMarkerPatterns, type MarkerPattern } from './marker-pattern.ts';
import { MarkerRecorder } from './marker-recorder.ts';
import { type MarkerHit, MarkerSequence } from './marker-sequence.ts';

/** A file path or console (`{ path }`, followed live), a recorder, or any live stream of chunks. */
export type MarkerSource = string | { readonly path: string } | MarkerRecorder | ChunkStream;

export interface WaitForMarkersOptions {
  /** markers (or `.*` patterns) that end the wait at once with MarkerFailureError */
  failure?: readonly MarkerPattern[];
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * files and recorders: `start` (default) also counts what is already there, failure markers included; `end`
   * only what comes after the call (use it on a console kept across boots, so an earlier boot's lines are ignored)
   */
  from?: 'start' | 'end';
  /** names a stream in messages (files are named by their path) */
  label?: string;
  /** called for every marker seen, e.g. to log console progress */
  onMarker?: (event: MarkerEvent) => void;
  /** called when a sequence entry is matched, with its index in the sequence */
  onHit?: (hit: MarkerHit, index: number) => void;
  /**
   * a marker matching a later sequence entry while an earlier one is awaited ends the wait at once with
   * MarkerOrderError (default: it is passed over, and the sequence may still complete when the entries come later)
   */
  strict?: boolean;
}

export interface MarkerWaitResult {
  /** one hit per sequence entry, in order */
  readonly hits: MarkerHit[];
  /** every marker seen during the wait */
  readonly seen: MarkerEvent[];
  readonly elapsedMs: number;
}

/**
 * Wait until `sequence` appears in order on a live console. Event-driven: a file is followed through fs.watch, a
 * stream through its data events; no interval polling. Fails at once on a failure marker (MarkerFailureError), on
 * timeout with MarkerTimeoutError (a WaitTimeoutError naming the markers seen, the one awaited and the time
 * waited), with MarkerOrderError on a marker that came early (`strict` only), and with MarkerStreamEndedError when a stream ends first.
 */
export async function waitForMarkers(
  source: MarkerSource,
  sequence: readonly MarkerPattern[],
  options: WaitForMarkersOptions,
): Promise<MarkerWaitResult> {
  assertMarkerPatterns(sequence, 'marker sequence');
  assertMarkerPatterns(options.failure ?? [], 'failure markers');
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0 || options.timeoutMs > 2 ** 31 - 1) {
    // setTimeout fires at once for a delay beyond 2^31 - 1 ms: such a wait would time out immediately
    throw new HarnessError(
      `marker wait timeout must be a positive number of ms up to ${2 ** 31 - 1}, got ${options.timeoutMs}`,
    );
  }
  options.signal?.throwIfAborted();
  const label = sourceLabel(source, options.label);
  const progress = new MarkerSequence(sequence, options.failure ?? [], performance.now(), { strict: options.strict });
  const state = (): MarkerWaitState => ({
    seen: progress.seen.map((e) => e.name),
    events: [...progress.seen],
    matched: [...progress.hits],
    awaiting: progress.awaiting,
    source: label,
  });
  const stop = new AbortController();
  let outcome: { ok: true } | { ok: false; error: unknown } | null = null;
  const settle = (result: { ok: true } | { ok: false; error: unknown }) => {
    if (outcome) return;
    outcome = result;
    stop.abort();
  };
  const onMarker = (event: MarkerEvent) => {
    if (outcome) return;
    options.onMarker?.(event);
    const hitsBefore = progress.hits.length;
    const verdict = progress.observe(event);
    const hit = progress.hits[hitsBefore];
    if (hit && options.onHit) options.onHit(hit, hitsBefore);
    if (verdict.kind === 'complete') settle({ ok: true });
    if (verdict.kind === 'out-of-order') {
      const { name, line } = verdict.event;
      const error = new MarkerOrderError(state(), name, verdict.early, verdict.awaiting, line, progress.elapsedMs());
      settle({ ok: false, error });
    }
    if (verdict.kind === 'failed') {
      const { name, line } = verdict.event;
      const error = new MarkerFailureError(state(), name, verdict.pattern, line, progress.elapsedMs());
      settle({ ok: false, error });
    }
  };
  const onEnded = (error?: unknown) => {
    if (error)
      settle({ ok: false, error: new HarnessError(`reading ${label} failed: ${String(error)}`, { cause: error }) });
    else settle({ ok: false, error: new MarkerStreamEndedError(state(), progress.elapsedMs()) });
  };
  const onAbort = () => settle({ ok: false, error: options.signal?.reason });
  // A file is read at least once before the wait can time out: on a busy host the bound may pass before the first
  // read of a log that already holds every marker. Past the bound, the verdict waits for that read (10 s at most).
  const timeOut = () => settle({ ok: false, error: new MarkerTimeoutError(state(), progress.elapsedMs()) });
  let readOnce = source instanceof MarkerRecorder || !(typeof source === 'string' || isConsole(source));
  let overdue: NodeJS.Timeout | undefined;
  const onCaughtUp = () => {
    if (readOnce) return;
    readOnce = true;
    if (overdue) timeOut();
  };
  const timer = setTimeout(() => {
    if (readOnce) return timeOut();
    overdue = setTimeout(timeOut, 10_000);
  }, options.timeoutMs);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (progress.verdict.kind === 'complete') settle({ ok: true });
  try {
    await follow(source, onMarker, onEnded, options.from ?? 'start', stop.signal, onCaughtUp);
  } catch (err) {
    onEnded(err);
  } finally {
    clearTimeout(timer);
    clearTimeout(overdue);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const final = outcome as { ok: true } | { ok: false; error: unknown } | null;
  if (!final) throw new HarnessError(`marker wait on ${label} stopped without a verdict`);
  if (!final.ok) throw final.error;
  return { hits: [...progress.hits], seen: [...progress.seen], elapsedMs: progress.elapsedMs() };
}

/** Feed markers from the source until `stop` aborts (or the stream ends, reported through onEnded). */
async function follow(
  source: MarkerSource,
  onMarker: (event: MarkerEvent) => void,
  onEnded: (error?: unknown) => void,
  from: 'start' | 'end',
  stop: AbortSignal,
  onCaughtUp: () => void,
): Promise<void> {
  if (stop.aborted) return;
  if (source instanceof MarkerRecorder) {
    if (from === 'start') for (const event of [...source.events]) onMarker(event);
    if (source.ended) return onEnded(source.error);
    const unsubscribe = source.subscribe(onMarker, onEnded);
    await new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      stop.addEventListener('abort', () => resolve(), { once: true });
    });
    unsubscribe();
    return;
  }
  const target = isConsole(source) ? source.path : source;
  const how = await feedMarkers(target, onMarker, { from, signal: stop, onCaughtUp });
  if (how === 'ended') onEnded();
}

function isConsole(source: MarkerSource): source is { readonly path: string } {
  return (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as { path?: unknown }).path === 'string' &&
    typeof (source as { on?: unknown }).on !== 'function'
  );
}

function sourceLabel(source: MarkerSource, label: string | undefined): string {
  if (label) return label;
  if (typeof source === 'string') return source;
  if (source instanceof MarkerRecorder) return source.label;
  if (isConsole(source)) return source.path;
  return 'stream';
}
