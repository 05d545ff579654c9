import type { Readable } from 'node:stream';
import { followFile } from './follow-file.ts';
import { type MarkerEvent, MarkerParser } from './marker-parser.ts';

/** Anything markers can be read from, live. */
export type ChunkStream = Readable | NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>;

export interface FeedOptions {
  /** files only: `start` reads the whole file first, `end` only what is appended after the feed opens */
  from?: 'start' | 'end';
  signal: AbortSignal;
  /** files only: everything the file held so far was parsed (see followFile) */
  onCaughtUp?: () => void;
}

/**
 * Read markers from a file (followed live) or a stream, handing each to `onMarker` as it is parsed. Resolves when
 * the stream ends (`ended`) or the signal aborts (`aborted`); a file never ends by itself. Rejects on a read error.
 * A stream is never destroyed: on abort the feed only stops listening.
 */
export async function feedMarkers(
  source: string | ChunkStream,
  onMarker: (event: MarkerEvent) => void,
  options: FeedOptions,
): Promise<'ended' | 'aborted'> {
  const parser = new MarkerParser();
  const push = (chunk: Uint8Array | string) => {
    for (const event of parser.push(chunk)) onMarker(event);
  };
  const end = () => {
    for (const event of parser.end()) onMarker(event);
  };
  if (typeof source === 'string') {
    const follow = { from: options.from ?? 'start', signal: options.signal } as const;
    for await (const chunk of followFile(source, {
      ...follow,
      ...(options.onCaughtUp ? { onCaughtUp: options.onCaughtUp } : {}),
    }))
      push(chunk);
    return 'aborted';
  }
  if (isEventStream(source)) return feedEventStream(source, push, end, options.signal);
  return feedIterable(source, push, end, options.signal);
}

function isEventStream(source: ChunkStream): source is Readable | NodeJS.ReadableStream {
  const s = source as Partial<Readable>;
  return typeof s.on === 'function' && typeof s.removeListener === 'function' && typeof s.pipe === 'function';
}

/** A Node stream: listen to its data events, so stopping leaves the stream flowing for its owner. */
function feedEventStream(
  stream: Readable | NodeJS.ReadableStream,
  push: (chunk: Uint8Array | string) => void,
  end: () => void,
  signal: AbortSignal,
): Promise<'ended' | 'aborted'> {
  return new Promise((resolve, reject) => {
    const readable = stream as Readable;
    const detach = () => {
      readable.removeListener('data', push);
      readable.removeListener('end', onEnd);
      readable.removeListener('close', onEnd);
      readable.removeListener('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onEnd = () => {
      detach();
      end();
      resolve('ended');
    };
    const onError = (err: Error) => {
      detach();
      reject(err);
    };
    const onAbort = () => {
      detach();
      resolve('aborted');
    };
    if (signal.aborted) return resolve('aborted');
    if (readable.readableEnded || readable.destroyed) return onEnd();
    signal.addEventListener('abort', onAbort, { once: true });
    readable.on('data', push);
    readable.once('end', onEnd);
    readable.once('close', onEnd);
    readable.once('error', onError);
  });
}

/** Any other async iterable: pull chunks, racing each pull against the signal. */
async function feedIterable(
  iterable: AsyncIterable<Uint8Array | string>,
  push: (chunk: Uint8Array | string) => void,
  end: () => void,
  signal: AbortSignal,
): Promise<'ended' | 'aborted'> {
  const iterator = iterable[Symbol.asyncIterator]();
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  for (;;) {
    const next = await Promise.race([iterator.next(), aborted]);
    if (next === 'aborted') {
      void iterator.return?.()?.catch(() => undefined);
      return 'aborted';
    }
    if (next.done) {
      end();
      return 'ended';
    }
    push(next.value);
  }
}
