import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HarnessError, PropertyViolation, WaitTimeoutError } from '../../contracts/errors.ts';
import {
  MarkerFailureError,
  MarkerOrderError,
  MarkerStreamEndedError,
  MarkerTimeoutError,
  recordMarkers,
  waitForMarkers,
} from '../../helpers/markers.ts';
import { workTempDir } from '../../helpers/proof-root.ts';

const baremetal = [
  'pre-install.boot.*',
  'pre-install.phone-home.complete.*',
  'install.disko.complete.*',
  'reboot.*',
  'post-install.boot.*',
];

describe('waitForMarkers on a stream', () => {
  it('resolves when the sequence appears in order, across split chunks, ANSI and CRLF', async () => {
    const stream = new PassThrough();
    const wait = waitForMarkers(stream, baremetal, { timeoutMs: 5_000, failure: ['install.failed.*'] });
    const text =
      '\u001b[0mULTRACLOUD_MARKER pre-install.boot.node01\r\n' +
      'ULTRACLOUD_MARKER pre-install.phone-home.complete.node01 deployer=http://127.0.0.1:7300\r\n' +
      'ULTRACLOUD_MARKER install.disko.complete.node01\r\n\u001b[1mULTRACLOUD_MARKER reboot.node01\u001b[0m\r\n' +
      'ULTRACLOUD_MARKER post-install.boot.node01\r\n';
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 7) stream.write(bytes.subarray(i, i + 7));
    const result = await wait;
    expect(result.hits.map((h) => h.marker)).toEqual([
      'pre-install.boot.node01',
      'pre-install.phone-home.complete.node01',
      'install.disko.complete.node01',
      'reboot.node01',
      'post-install.boot.node01',
    ]);
    expect(result.hits.map((h) => h.pattern)).toEqual(baremetal);
    expect(result.hits.every((h) => !Number.isNaN(Date.parse(h.at)))).toBe(true);
    expect(stream.destroyed).toBe(false);
  });

  it('requires the order: a later entry seen early does not count', async () => {
    const stream = new PassThrough();
    const wait = waitForMarkers(stream, ['a', 'b'], { timeoutMs: 300 });
    stream.write('ULTRACLOUD_MARKER b\nULTRACLOUD_MARKER a\n');
    const err = await wait.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarkerTimeoutError);
    expect((err as MarkerTimeoutError).state.awaiting).toBe('b');
    expect((err as Error).message).toMatch(/^marker "b" not seen after \d+ ms; seen: b, a; source: stream$/);
  });

  it('strict: a later entry seen early fails the wait at once, naming it and the entry still awaited', async () => {
    const stream = new PassThrough();
    const hits: string[] = [];
    const wait = waitForMarkers(stream, ['a.*', 'b.*', 'c.*'], {
      timeoutMs: 60_000,
      strict: true,
      onHit: (hit, i) => hits.push(`${i}:${hit.marker}`),
    });
    stream.write('ULTRACLOUD_MARKER a.n1\nULTRACLOUD_MARKER other.n1\nULTRACLOUD_MARKER c.n1 why=early\n');
    stream.write('ULTRACLOUD_MARKER b.n1\n');
    const err = await wait.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarkerOrderError);
    expect(err).toBeInstanceOf(PropertyViolation);
    const order = err as MarkerOrderError;
    expect(order.marker).toBe('c.n1');
    expect(order.early).toBe('c.*');
    expect(order.awaited).toBe('b.*');
    expect(order.property).toBe('marker "c.*" comes after "b.*"');
    expect(order.message).toMatch(/^marker "c\.n1" came early: .* while "b\.\*", which precedes it .*why=early/);
    expect(hits).toEqual(['0:a.n1']);
  });

  it('strict: the sequence in order, with other markers between, completes', async () => {
    const stream = new PassThrough();
    const wait = waitForMarkers(stream, ['a', 'b'], { timeoutMs: 60_000, strict: true });
    stream.write(
      'ULTRACLOUD_MARKER x\nULTRACLOUD_MARKER a\nULTRACLOUD_MARKER a\nULTRACLOUD_MARKER y\nULTRACLOUD_MARKER b\n',
    );
    expect((await wait).hits.map((h) => h.marker)).toEqual(['a', 'b']);
  });

  it('fails at once on a failure marker, naming it and what was awaited', async () => {
    const stream = new PassThrough();
    const wait = waitForMarkers(stream, baremetal, { timeoutMs: 60_000, failure: ['install.disko.failed.*'] });
    stream.write(
      'ULTRACLOUD_MARKER pre-install.boot.node01\nULTRACLOUD_MARKER pre-install.phone-home.complete.node01\n',
    );
    stream.write('ULTRACLOUD_MARKER install.disko.failed.node01 reason=no-disk\n');
    const err = await wait.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarkerFailureError);
    expect(err).toBeInstanceOf(PropertyViolation);
    const failure = err as MarkerFailureError;
    expect(failure.marker).toBe('install.disko.failed.node01');
    expect(failure.pattern).toBe('install.disko.failed.*');
    expect(failure.state.awaiting).toBe('install.disko.complete.*');
    expect(failure.message).toContain('failure marker "install.disko.failed.node01"');
    expect(failure.message).toContain('while awaiting "install.disko.complete.*"');
    expect(failure.message).toContain('reason=no-disk');
  });

  it('times out with a WaitTimeoutError naming the markers seen, the one awaited and the time waited', async () => {
    const stream = new PassThrough();
    const wait = waitForMarkers(stream, ['pre-install.boot.*', 'install.disko.complete'], { timeoutMs: 200 });
    stream.write('ULTRACLOUD_MARKER pre-install.boot.node01\nULTRACLOUD_MARKER unrelated.thing\n');
    const err = await wait.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as WaitTimeoutError).waitedMs).toBeGreaterThanOrEqual(190);
    expect((err as Error).message).toMatch(
      /^marker "install.disko.complete" not seen after \d+ ms; seen: pre-install.boot.node01, unrelated.thing/,
    );
  });

  it('reports a stream that ends before the sequence completes', async () => {
    const stream = new PassThrough();
    const wait = waitForMarkers(stream, ['a', 'b'], { timeoutMs: 5_000, label: 'node01 serial' });
    stream.end('ULTRACLOUD_MARKER a\nULTRACLOUD_MARKER c');
    const err = await wait.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarkerStreamEndedError);
    expect((err as Error).message).toContain('before marker "b" was seen; seen: a, c; source: node01 serial');
  });

  it("stops when the caller aborts, with the caller's reason", async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    const wait = waitForMarkers(stream, ['a'], { timeoutMs: 5_000, signal: controller.signal });
    controller.abort(new Error('lane interrupted'));
    await expect(wait).rejects.toThrow('lane interrupted');
  });

  it('rejects malformed patterns as a harness error', async () => {
    await expect(waitForMarkers(new PassThrough(), ['a*b'], { timeoutMs: 100 })).rejects.toThrow(HarnessError);
    await expect(waitForMarkers(new PassThrough(), ['a'], { timeoutMs: 100, failure: ['.*'] })).rejects.toThrow(
      /invalid failure markers/,
    );
    await expect(waitForMarkers(new PassThrough(), ['a'], { timeoutMs: 0 })).rejects.toThrow(/positive/);
  });

  it('reads any async iterable of chunks', async () => {
    async function* chunks() {
      yield 'ULTRACLOUD_MARKER desired-system-ac';
      yield new TextEncoder().encode('tive.control\n');
    }
    const result = await waitForMarkers(chunks(), ['desired-system-active.*'], { timeoutMs: 1_000 });
    expect(result.hits[0]?.marker).toBe('desired-system-active.control');
  });
});

describe('waitForMarkers on live processes and sockets', () => {
  it("follows a child's stdout, and a recorder keeps markers between two waits", async () => {
    const script =
      "const w=(s,t)=>setTimeout(()=>process.stdout.write(s),t);w('ULTRACLOUD_MARKER service.chainfire.ready\\n',50);" +
      "w('ULTRACLOUD_MARKER service.flaredb.ready\\r\\nULTRACLOUD_MARKER service.iam.ready\\n',100);setTimeout(()=>{},400)";
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      using recorder = recordMarkers(child.stdout, 'child stdout');
      const first = await waitForMarkers(recorder, ['service.chainfire.ready'], { timeoutMs: 5_000 });
      expect(first.hits[0]?.marker).toBe('service.chainfire.ready');
      const rest = await waitForMarkers(recorder, ['service.flaredb.ready', 'service.iam.ready'], { timeoutMs: 5_000 });
      expect(rest.hits.map((h) => h.marker)).toEqual(['service.flaredb.ready', 'service.iam.ready']);
      const all = await waitForMarkers(recorder, ['service.chainfire.ready', 'service.iam.ready'], { timeoutMs: 100 });
      expect(all.hits).toHaveLength(2);
      await expect(
        waitForMarkers(recorder, ['service.chainfire.ready'], { timeoutMs: 100, from: 'end' }),
      ).rejects.toThrow(/not seen after \d+ ms; seen: none; source: child stdout/);
      await once(child, 'exit');
      await expect(waitForMarkers(recorder, ['service.nightlight.ready'], { timeoutMs: 5_000 })).rejects.toThrow(
        MarkerStreamEndedError,
      );
    } finally {
      child.kill();
    }
  });

  it('follows a socket', async () => {
    const server = createServer((conn) => {
      conn.write('\u0000\u0000ULTRACLOUD_MARKER pre-install.boot.node');
      setTimeout(() => conn.write('02\r\nULTRACLOUD_MARKER reboot.node02\r\n'), 30);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no server address');
    let socket: Socket | undefined;
    try {
      socket = createConnection(address.port, '127.0.0.1');
      const result = await waitForMarkers(socket, ['pre-install.boot.*', 'reboot.*'], { timeoutMs: 5_000 });
      expect(result.hits.map((h) => h.marker)).toEqual(['pre-install.boot.node02', 'reboot.node02']);
    } finally {
      socket?.destroy();
      server.close();
    }
  });
});

describe('waitForMarkers on a file', () => {
  it('reads the file at least once before its bound can end the wait', async () => {
    const dir = await workTempDir('ucp-markers-file-');
    try {
      const log = join(dir, 'console.log');
      await writeFile(log, 'ULTRACLOUD_MARKER node.boot.node01 boot=1\nULTRACLOUD_MARKER node.ready.node01 boot=1\n');
      // a 1 ms bound passes before the first read of the file has even started
      const result = await waitForMarkers(log, ['node.boot.node01', 'node.ready.node01'], { timeoutMs: 1 });
      expect(result.hits.map((h) => h.marker)).toEqual(['node.boot.node01', 'node.ready.node01']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('still times out once the file was read without the marker', async () => {
    const dir = await workTempDir('ucp-markers-file-');
    try {
      const log = join(dir, 'console.log');
      await writeFile(log, 'ULTRACLOUD_MARKER node.boot.node01 boot=1\n');
      const wait = waitForMarkers(log, ['node.boot.node01', 'node.ready.node01'], { timeoutMs: 1 });
      const err = await wait.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MarkerTimeoutError);
      expect((err as MarkerTimeoutError).message).toContain('node.boot.node01');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
