import { statSync } from 'node:fs';
import { HarnessError } from '../../contracts/errors.ts';
import {
  type MarkerEvent,
  MarkerFailureError,
  MarkerOrderError,
  MarkerTimeoutError,
  type MarkerWaitState,
  markerPatternProblem,
  waitForMarkers,
} from '../../helpers/markers.ts';
import { parseCommandArgs, requirePositiveNumber, UsageError } from '../usage.ts';

export const summary = 'wait for ULTRACLOUD_MARKER sequences in a (growing) log';

const help = `usage: ucproof markers wait --log FILE --sequence A,B.* [options]

Follow FILE (it may not exist yet and may still be growing) until the ULTRACLOUD_MARKER lines of the sequence
appear in order. An entry ending in ".*" matches that name and every name below it (pre-install.boot.* matches
pre-install.boot.node01).

options:
  --log FILE            the console or serial log to follow
  --sequence A,B,...    markers (or ".*" patterns) that must appear, in this order
  --failure X,Y,...     markers (or ".*" patterns) that end the wait at once as a failure
  --timeout SECONDS     give up after this long (default 600, at most 2147483: about 24.8 days)
  --from start|end      count markers already in the file (start, default) or only new ones (end)
  --strict              a sequence marker that comes before an earlier entry of the sequence fails the wait at once
                        (default: it is passed over and the sequence may still complete)
  --json                print {"ok","seen","matched","awaiting","failure"} on stdout instead of a summary

Each marker seen is printed on stderr as "<time> <name>" while the command follows the log.

exit status: 0 sequence complete, 1 failure marker or timeout, 2 bad arguments`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  if (sub !== 'wait') throw new UsageError(`${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'}\n\n${help}`);
  return wait(rest);
}

interface WaitArgs {
  log: string;
  sequence: string[];
  failure: string[];
  timeoutMs: number;
  from: 'start' | 'end';
  strict: boolean;
  json: boolean;
}

function parseWaitArgs(argv: string[]): WaitArgs | 'help' {
  const { values, positionals } = parseCommandArgs(argv, {
    options: {
      log: { type: 'string' },
      sequence: { type: 'string' },
      failure: { type: 'string' },
      timeout: { type: 'string' },
      from: { type: 'string' },
      json: { type: 'boolean' },
      strict: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (!values.log) throw new UsageError('--log FILE is required');
  if (values.sequence === undefined) throw new UsageError('--sequence A,B,... is required');
  if (isDirectory(values.log)) throw new UsageError(`--log "${values.log}" is a directory, not a log file`);
  const timeoutSeconds = requirePositiveNumber('timeout', values.timeout, 600);
  if (timeoutSeconds * 1000 > maxTimeoutMs) {
    throw new UsageError(
      `--timeout must be at most ${Math.floor(maxTimeoutMs / 1000)} seconds, got "${values.timeout}"`,
    );
  }
  const from = values.from ?? 'start';
  if (from !== 'start' && from !== 'end') throw new UsageError(`--from must be "start" or "end", got "${from}"`);
  return {
    log: values.log,
    sequence: patternList('sequence', values.sequence),
    failure: values.failure === undefined ? [] : patternList('failure', values.failure),
    timeoutMs: Math.max(1, Math.round(timeoutSeconds * 1000)),
    from,
    strict: values.strict ?? false,
    json: values.json ?? false,
  };
}

/** setTimeout's largest delay */
const maxTimeoutMs = 2 ** 31 - 1;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function patternList(option: string, raw: string): string[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new UsageError(`--${option} must name at least one marker`);
  for (const pattern of list) {
    const problem = markerPatternProblem(pattern);
    if (problem) throw new UsageError(`--${option}: ${problem}`);
  }
  return list;
}

async function wait(argv: string[]): Promise<number> {
  const args = parseWaitArgs(argv);
  if (args === 'help') {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort(new HarnessError(`interrupted while following ${args.log}`));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const progress = (e: MarkerEvent) => process.stderr.write(`${e.at} ${e.name}\n`);
  try {
    const result = await waitForMarkers(args.log, args.sequence, {
      failure: args.failure,
      timeoutMs: args.timeoutMs,
      from: args.from,
      strict: args.strict,
      signal: interrupt.signal,
      onMarker: progress,
    });
    const seen = result.seen.map((e) => ({ marker: e.name, at: e.at }));
    const matched = result.hits.map((h) => ({ pattern: h.pattern, marker: h.marker, at: h.at }));
    report(
      args.json,
      { ok: true, seen, matched, awaiting: null, failure: null },
      `sequence complete in ${result.elapsedMs} ms`,
    );
    return 0;
  } catch (err) {
    if (err instanceof MarkerTimeoutError) return reportUnfinished(args.json, err.state, null, err.message);
    if (err instanceof MarkerFailureError) return reportUnfinished(args.json, err.state, err.marker, err.message);
    if (err instanceof MarkerOrderError) return reportUnfinished(args.json, err.state, err.marker, err.message);
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
  }
}

function reportUnfinished(json: boolean, state: MarkerWaitState, failure: string | null, message: string): number {
  const seen = state.events.map((e) => ({ marker: e.name, at: e.at }));
  const matched = state.matched.map((h) => ({ pattern: h.pattern, marker: h.marker, at: h.at }));
  report(json, { ok: false, seen, matched, awaiting: state.awaiting, failure }, message);
  return 1;
}

function report(json: boolean, out: object, message: string): void {
  if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else process.stdout.write(`${message}\n`);
}
