import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followFile, MarkerFailureError, MarkerTimeoutError, waitForMarkers } from '../../helpers/markers.ts';

const run = promisify(execFile);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ucp-markers-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** append lines from a separate process, after a delay, the way a VM's serial log grows */
function appendLater(file: string, delaySeconds: number, lines: string[]): Promise<unknown> {
  const text = lines.map((l) => `${l}\\r\\n`).join('');
  return run('sh', ['-c', `sleep ${delaySeconds}; printf '${text}' >> "$1"`, 'sh', file]);
}

describe('waitForMarkers on a growing file', () => {
  it('sees lines a separate process appends after the wait starts', async () => {
    const file = join(dir, 'console.log');
    writeFileSync(file, 'SeaBIOS\r\nULTRACLOUD_MARKER pre-install.boot.node01\r\n');
    const wait = waitForMarkers(file, ['pre-install.boot.*', 'install.disko.complete', 'reboot.*'], {
      timeoutMs: 10_000,
      failure: ['install.failed.*'],
    });
    const writer = appendLater(file, 0.2, [
      'ULTRACLOUD_MARKER install.disko.complete',
      'ULTRACLOUD_MARKER reboot.node01',
    ]);
    const result = await wait;
    await writer;
    expect(result.hits.map((h) => h.marker)).toEqual([
      'pre-install.boot.node01',
      'install.disko.complete',
      'reboot.node01',
    ]);
  });

  it('waits for a file (and its directory) that does not exist yet', async () => {
    const file = join(dir, 'nodes', 'node04', 'console.log');
    const wait = waitForMarkers({ path: file }, ['post-install.boot.*'], { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    mkdirSync(join(dir, 'nodes', 'node04'), { recursive: true });
    await appendLater(file, 0.05, ['ULTRACLOUD_MARKER post-install.boot.node04']);
    expect((await wait).hits[0]?.marker).toBe('post-install.boot.node04');
  });

  it("with from: 'end' ignores what the file already holds", async () => {
    const file = join(dir, 'console.log');
    writeFileSync(file, 'ULTRACLOUD_MARKER reboot.node01\n');
    const stale = waitForMarkers(file, ['reboot.*'], { timeoutMs: 300, from: 'end' });
    await expect(stale).rejects.toThrow(MarkerTimeoutError);
    const fresh = waitForMarkers(file, ['reboot.*'], { timeoutMs: 10_000, from: 'end' });
    await appendLater(file, 0.1, ['ULTRACLOUD_MARKER reboot.node01 second boot']);
    const result = await fresh;
    expect(result.seen).toHaveLength(1);
    expect(result.hits[0]?.line).toContain('second boot');
  });

  it("with from: 'end' still sees a line written right after the call", async () => {
    const file = join(dir, 'console.log');
    writeFileSync(file, 'ULTRACLOUD_MARKER service.iam.ready\n');
    const wait = waitForMarkers(file, ['service.iam.ready'], { timeoutMs: 10_000, from: 'end' });
    appendFileSync(file, 'ULTRACLOUD_MARKER service.iam.ready restarted\n');
    expect((await wait).hits[0]?.line).toContain('restarted');
  });

  it('starts over after the file is truncated', async () => {
    const file = join(dir, 'console.log');
    writeFileSync(file, `${'x'.repeat(4096)}\nULTRACLOUD_MARKER pre-install.boot.node01\n`);
    const wait = waitForMarkers(file, ['pre-install.boot.*', 'post-install.boot.*'], { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    truncateSync(file, 0);
    await appendLater(file, 0.05, ['ULTRACLOUD_MARKER post-install.boot.node01']);
    expect((await wait).hits.map((h) => h.marker)).toEqual(['pre-install.boot.node01', 'post-install.boot.node01']);
  });

  it('reopens a file that was replaced (log rotation)', async () => {
    const file = join(dir, 'console.log');
    writeFileSync(file, 'ULTRACLOUD_MARKER a\n');
    const wait = waitForMarkers(file, ['a', 'b'], { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, 'next.log'), 'ULTRACLOUD_MARKER b\n');
    renameSync(join(dir, 'next.log'), file);
    expect((await wait).hits.map((h) => h.marker)).toEqual(['a', 'b']);
  });

  it('fails on a failure marker a writer appends, without waiting for the timeout', async () => {
    const file = join(dir, 'console.log');
    writeFileSync(file, '');
    // the wait settles as soon as the marker lands, possibly before the writer has exited: take its outcome now
    const outcome = waitForMarkers(file, ['desired-system-active.*'], {
      timeoutMs: 60_000,
      failure: ['desired-system-rolled-back.*'],
    }).catch((e: unknown) => e);
    await appendLater(file, 0.1, ['\\033[31mULTRACLOUD_MARKER desired-system-rolled-back.node01\\033[0m']);
    const err = await outcome;
    expect(err).toBeInstanceOf(MarkerFailureError);
    expect((err as MarkerFailureError).marker).toBe('desired-system-rolled-back.node01');
  });
});

describe('followFile', () => {
  it('yields appended bytes and returns when aborted', async () => {
    const file = join(dir, 'grow.log');
    const controller = new AbortController();
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of followFile(file, { signal: controller.signal })) {
        chunks.push(Buffer.from(chunk).toString());
        if (chunks.join('').includes('three')) controller.abort();
      }
    })();
    writeFileSync(file, 'one ');
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(file, 'two ');
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(file, 'three');
    await reading;
    expect(chunks.join('')).toBe('one two three');
  });
});
