import { stripTerminalEscapes } from './terminal-escapes.ts';

/** One `ULTRACLOUD_MARKER <name>` line seen on a console. */
export interface MarkerEvent {
  /** the marker's name as printed, e.g. `pre-install.boot.node01` */
  readonly name: string;
  /** the whole console line, escapes removed */
  readonly line: string;
  /** wall-clock time the line was read (ISO 8601) */
  readonly at: string;
}

export const markerKeyword = 'ULTRACLOUD_MARKER';

/**
 * The keyword anywhere on a line (even glued to garbage printed before the console was up), then a name: letters,
 * digits and `. _ - : @ / +`, ended by whitespace or the end of the line.
 */
const markerPattern = /ULTRACLOUD_MARKER[ \t]+([A-Za-z0-9][A-Za-z0-9._:@/+-]*)(?=[ \t]|$)/g;
const lineBreak = /\r\n|\r|\n/;
const maxPendingChars = 256 * 1024;
const keptTailChars = 4 * 1024;

/** Markers on one complete line of text (escapes are stripped first). */
export function markersInLine(rawLine: string): string[] {
  const line = stripTerminalEscapes(rawLine);
  return [...line.matchAll(markerPattern)].map((m) => m[1] as string);
}

/**
 * Incremental marker parser for a live byte stream. Chunks may split anywhere: inside a UTF-8 character, an
 * escape sequence, a CRLF pair or the marker itself. Lines end at LF, CRLF or a bare CR. A marker on a line not yet
 * ended is reported as soon as its name is followed by a space or tab (so a writer that never ends the line is
 * still heard), and not again when the line ends.
 */
export class MarkerParser {
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });
  #pending = '';
  /** markers already reported from the pending (unterminated) line */
  #pendingReported = 0;

  push(chunk: Uint8Array | string): MarkerEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    if (text.length === 0) return [];
    const parts = (this.#pending + text).split(lineBreak);
    this.#pending = parts.pop() ?? '';
    const events: MarkerEvent[] = [];
    parts.forEach((line, index) => {
      const skip = index === 0 ? this.#pendingReported : 0;
      events.push(...this.#events(line, skip));
      if (index === 0) this.#pendingReported = 0;
    });
    // an unterminated line: report the names already followed by whitespace
    if (this.#pending.length > 0) {
      const complete = this.#completeNames(this.#pending);
      events.push(...this.#eventsFor(complete.slice(this.#pendingReported), this.#pending));
      this.#pendingReported = complete.length;
    }
    if (this.#pending.length > maxPendingChars) this.#trimPending();
    return events;
  }

  /** The stream ended: the last unterminated line counts as a line. */
  end(): MarkerEvent[] {
    const rest = this.#pending + this.#decoder.decode();
    const events = rest.length > 0 ? this.#events(rest, this.#pendingReported) : [];
    this.#pending = '';
    this.#pendingReported = 0;
    return events;
  }

  /** a console that never ends its line (binary garbage): keep only its tail, its markers counted as reported */
  #trimPending(): void {
    this.#pending = this.#pending.slice(-keptTailChars);
    this.#pendingReported = this.#completeNames(this.#pending).length;
  }

  #events(rawLine: string, skip: number): MarkerEvent[] {
    return this.#eventsFor(markersInLine(rawLine).slice(skip), rawLine);
  }

  #eventsFor(names: string[], rawLine: string): MarkerEvent[] {
    if (names.length === 0) return [];
    const at = new Date().toISOString();
    const line = stripTerminalEscapes(rawLine);
    return names.map((name) => ({ name, line, at }));
  }

  /** names on an unterminated line whose end is certain (a space or tab follows them) */
  #completeNames(rawLine: string): string[] {
    const line = stripTerminalEscapes(rawLine);
    return [...line.matchAll(markerPattern)]
      .filter((m) => m.index + m[0].length < line.length)
      .map((m) => m[1] as string);
  }
}
