/**
 * Markers: `ULTRACLOUD_MARKER <name>` lines on a node's console. The one import lanes and fixtures use.
 */
export { type FollowFileOptions, followFile } from './follow-file.ts';
export {
  describeSeen,
  MarkerFailureError,
  MarkerOrderError,
  MarkerStreamEndedError,
  MarkerTimeoutError,
  type MarkerWaitState,
} from './marker-errors.ts';
export { type ChunkStream, feedMarkers } from './marker-feed.ts';
export { type MarkerEvent, MarkerParser, markerKeyword, markersInLine } from './marker-parser.ts';
export {
  assertMarkerPatterns,
  firstMatching,
  type MarkerPattern,
  markerPatternProblem,
  matchesMarker,
} from './marker-pattern.ts';
export { type MarkerListener, MarkerRecorder, recordMarkers } from './marker-recorder.ts';
export { type MarkerHit, MarkerSequence } from './marker-sequence.ts';
export { stripTerminalEscapes } from './terminal-escapes.ts';
export {
  type MarkerSource,
  type MarkerWaitResult,
  type WaitForMarkersOptions,
  waitForMarkers,
} from './wait-for-markers.ts';
