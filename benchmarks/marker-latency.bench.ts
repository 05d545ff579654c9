import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { waitForMarkers } from '../helpers/markers.ts';

/**
 * Marker latency: a separate writer process appends one `ULTRACLOUD_MARKER` line to a console log that
 * waitForMarkers follows; each iteration lasts from the request to append until the wait resolves (target: under
 * 50 ms). The writer also reports when its append returned, so the teardown prints the pure append-to-resolve
 * latency (the same clock: performance.timeOrigin + now() in both processes).
 */
const writerScript = `
const { appendFileSync } = require('node:fs');
process.on('message', ({ file, line }) => {
  appendFileSync(file, line);
  process.send({ appendedAt: performance.timeOrigin + performance.now() });
});
process.on('disconnect', () => {
  require('node:fs').rmSync(process.argv[1], { recursive: true, force: true });
  process.exit(0);
});`;

let dir: string;
let writer: ChildProcess;
let writerReady: Promise<void> | undefined;
let counter = 0;
const latencies: number[] = [];

function appendByWriter(file: string, line: string): Promise<number> {
  const reply = once(writer, 'message') as Promise<[{ appendedAt: number }]>;
  writer.send({ file, line });
  return reply.then(([m]) => m.appendedAt);
}

async function oneMarker(file: string): Promise<void> {
  const name = `bench.marker.${++counter}`;
  const waiting = waitForMarkers(file, [name], { timeoutMs: 5_000, from: 'end' });
  const appendedAt = appendByWriter(file, `\u001b[0m[ 1.0] ULTRACLOUD_MARKER ${name} extra\r\n`);
  await waiting;
  latencies.push(performance.timeOrigin + performance.now() - (await appendedAt));
}

/** one writer for the whole file; it exits, and cleans up, when this worker goes away (its IPC channel closes) */
function ensureWriter(): Promise<void> {
  writerReady ??= (async () => {
    dir = mkdtempSync(join(tmpdir(), 'ucp-marker-bench-'));
    writeFileSync(join(dir, 'console.log'), 'SeaBIOS\r\n');
    // the writer removes the directory when it exits
    writer = spawn(process.execPath, ['-e', writerScript, dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await once(writer, 'spawn');
  })();
  return writerReady;
}

function reportLatency(mode?: string): void {
  if (mode !== 'run' || latencies.length === 0) return;
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(2);
  process.stdout.write(
    `append-to-resolve latency over ${sorted.length} markers: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, ` +
      `max ${sorted.at(-1)?.toFixed(2)} ms (target < 50 ms)\n`,
  );
}

describe('marker latency (separate writer → waitForMarkers resolves)', () => {
  bench('followed console log', () => oneMarker(join(dir, 'console.log')), {
    time: 3_000,
    warmupTime: 300,
    setup: async () => {
      await ensureWriter();
      latencies.length = 0;
    },
    teardown: (_task, mode) => reportLatency(mode),
  });
});
