import { HarnessError, PropertyViolation, WaitTimeoutError } from '../contracts/errors.ts';
import type { MarkerEvent } from './marker-parser.ts';
import type { MarkerHit } from './marker-sequence.ts';

/** What a marker wait had got to when it ended without completing. */
export interface MarkerWaitState {
  /** every marker seen during the wait, in order */
  readonly seen: readonly string[];
  /** the same markers with their lines and times */
  readonly events: readonly MarkerEvent[];
  /** the sequence entries matched so far */
  readonly matched: readonly MarkerHit[];
  /** the sequence entry awaited next */
  readonly awaiting: string | null;
  /** what was followed: a file path, or a stream's label */
  readonly source: string;
}

const shownMarkers = 30;

export function describeSeen(seen: readonly string[]): string {
  if (seen.length === 0) return 'none';
  if (seen.length <= shownMarkers) return seen.join(', ');
  return `... ${seen.length - shownMarkers} earlier, ${seen.slice(-shownMarkers).join(', ')}`;
}

/** The awaited marker did not appear in time. */
export class MarkerTimeoutError extends WaitTimeoutError {
  readonly state: MarkerWaitState;
  constructor(state: MarkerWaitState, waitedMs: number) {
    super(
      `marker "${state.awaiting}" not seen after ${waitedMs} ms; seen: ${describeSeen(state.seen)}; source: ${state.source}`,
      waitedMs,
    );
    this.name = 'MarkerTimeoutError';
    this.state = state;
  }
}

/** A failure marker appeared: the target reported that what the lane awaits went wrong. */
export class MarkerFailureError extends PropertyViolation {
  readonly state: MarkerWaitState;
  /** the failure marker as seen, and the failure pattern it matched */
  readonly marker: string;
  readonly pattern: string;
  readonly line: string;
  constructor(state: MarkerWaitState, marker: string, pattern: string, line: string, waitedMs: number) {
    super(`no failure marker "${pattern}"`, []);
    this.message =
      `failure marker "${marker}" seen after ${waitedMs} ms while awaiting "${state.awaiting}"` +
      `; seen: ${describeSeen(state.seen)}; line: ${line.trim()}; source: ${state.source}`;
    this.name = 'MarkerFailureError';
    this.state = state;
    this.marker = marker;
    this.pattern = pattern;
    this.line = line;
  }
}

/** A marker of the sequence came before one that must precede it (a strict wait). */
export class MarkerOrderError extends PropertyViolation {
  readonly state: MarkerWaitState;
  /** the marker as seen, the sequence entry it matched, and the entry still awaited when it came */
  readonly marker: string;
  readonly early: string;
  readonly awaited: string;
  readonly line: string;
  constructor(state: MarkerWaitState, marker: string, early: string, awaited: string, line: string, waitedMs: number) {
    super(`marker "${early}" comes after "${awaited}"`, []);
    this.message =
      `marker "${marker}" came early: seen after ${waitedMs} ms while "${awaited}", which precedes it in the sequence, ` +
      `was still awaited; seen: ${describeSeen(state.seen)}; line: ${line.trim()}; source: ${state.source}`;
    this.name = 'MarkerOrderError';
    this.state = state;
    this.marker = marker;
    this.early = early;
    this.awaited = awaited;
    this.line = line;
  }
}

/** The stream ended (the VM or process went away) before the sequence completed. */
export class MarkerStreamEndedError extends HarnessError {
  readonly state: MarkerWaitState;
  constructor(state: MarkerWaitState, waitedMs: number) {
    super(
      `stream ended after ${waitedMs} ms before marker "${state.awaiting}" was seen; seen: ${describeSeen(state.seen)}` +
        `; source: ${state.source}`,
    );
    this.name = 'MarkerStreamEndedError';
    this.state = state;
  }
}
