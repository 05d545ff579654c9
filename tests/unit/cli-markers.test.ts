import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ucp-cli-markers-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ucproof markers ...` in the project's environment (scripts/setup.sh --env), as an operator runs it */
function ucproofMarkers(args: string[], onStderr?: (text: string) => void): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(
      'bash',
      ['-c', 'source scripts/setup.sh --env && exec node cli/main.ts markers "$@"', 'ucproof', ...args],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function appendLater(file: string, delaySeconds: number, lines: string[]): Promise<unknown> {
  const text = lines.map((l) => `${l}\\n`).join('');
  return run('sh', ['-c', `sleep ${delaySeconds}; printf '${text}' >> "$1"`, 'sh', file]);
}

// every case is its own ucproof process (each log its own file): they run side by side
describe.concurrent('ucproof markers wait', () => {
  it('--strict exits 1 at once when a sequence marker comes before one that precedes it, naming it', async ({
    expect,
  }) => {
    const log = join(dir, 'strict.log');
    writeFileSync(log, 'ULTRACLOUD_MARKER a.n1\nULTRACLOUD_MARKER c.n1\nULTRACLOUD_MARKER b.n1\n');
    const outcome = await ucproofMarkers(['wait', '--log', log, '--sequence', 'a.*,b.*,c.*', '--strict', '--json']);
    expect(outcome.code).toBe(1);
    const answer = JSON.parse(outcome.stdout) as { ok: boolean; failure: string; awaiting: string };
    expect(answer).toMatchObject({ ok: false, failure: 'c.n1', awaiting: 'b.*' });
    // without --strict the early marker is passed over: a, b complete
    const lax = await ucproofMarkers(['wait', '--log', log, '--sequence', 'a.*,b.*', '--json', '--timeout', '30']);
    expect(lax.code).toBe(0);
  });

  it('exits 0 once a log still being written completes the sequence, and prints JSON', async ({ expect }) => {
    const log = join(dir, 'complete.log');
    writeFileSync(log, '\u001b[0mULTRACLOUD_MARKER pre-install.boot.node01\r\n');
    let writer: Promise<unknown> | undefined;
    // append from a separate process only once the command has reported the first marker (it is following)
    const outcome = await ucproofMarkers(
      ['wait', '--log', log, '--sequence', 'pre-install.boot.*,install.disko.complete.*', '--json', '--timeout', '60'],
      (stderr) => {
        if (!writer && stderr.includes('pre-install.boot.node01')) {
          writer = appendLater(log, 0.1, ['noise', 'ULTRACLOUD_MARKER install.disko.complete.node01 took=2s']);
        }
      },
    );
    await writer;
    expect(writer).toBeDefined();
    expect(outcome.code, outcome.stderr).toBe(0);
    const out = JSON.parse(outcome.stdout);
    expect(out.ok).toBe(true);
    expect(out.awaiting).toBeNull();
    expect(out.failure).toBeNull();
    expect(out.seen.map((s: { marker: string }) => s.marker)).toEqual([
      'pre-install.boot.node01',
      'install.disko.complete.node01',
    ]);
    expect(Number.isNaN(Date.parse(out.seen[1].at))).toBe(false);
  });

  it('exits 1 on a failure marker, naming it', async ({ expect }) => {
    const log = join(dir, 'failure.log');
    writeFileSync(log, 'ULTRACLOUD_MARKER pre-install.boot.node01\nULTRACLOUD_MARKER install.disko.failed.node01\n');
    const outcome = await ucproofMarkers([
      'wait',
      '--log',
      log,
      '--sequence',
      'pre-install.boot.*,install.disko.complete.*',
      '--failure',
      'install.failed.*,install.disko.failed.*',
      '--json',
    ]);
    expect(outcome.code).toBe(1);
    const out = JSON.parse(outcome.stdout);
    expect(out).toMatchObject({
      ok: false,
      awaiting: 'install.disko.complete.*',
      failure: 'install.disko.failed.node01',
    });
  });

  // half a second is the whole wait here: alone, so its own CPU is not shared with the other cases' processes
  it.sequential('exits 1 on timeout, saying what it saw, awaited and for how long', async ({ expect }) => {
    const log = join(dir, 'timeout.log');
    writeFileSync(log, 'ULTRACLOUD_MARKER pre-install.boot.node01\n');
    const outcome = await ucproofMarkers([
      'wait',
      '--log',
      log,
      '--sequence',
      'pre-install.boot.*,reboot.*',
      '--timeout',
      '0.5',
    ]);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(/marker "reboot\.\*" not seen after \d+ ms; seen: pre-install\.boot\.node01/);
  });

  it('exits 2 on bad arguments, naming the bad option', async ({ expect }) => {
    const log = join(dir, 'args.log');
    const cases: Array<[string[], RegExp]> = [
      [['wait', '--sequence', 'a'], /--log FILE is required/],
      [['wait', '--log', log], /--sequence .* is required/],
      [
        ['wait', '--log', log, '--sequence', 'a', '--timeout', 'soon'],
        /--timeout must be a positive number, got "soon"/,
      ],
      [['wait', '--log', log, '--sequence', 'a*b'], /--sequence: marker pattern "a\*b"/],
      [['wait', '--log', log, '--sequence', 'a', '--failure', ','], /--failure must name at least one marker/],
      [['wait', '--log', log, '--sequence', 'a', '--from', 'middle'], /--from must be "start" or "end"/],
      [['wait', '--log', log, '--sequence', 'a', '--bogus'], /--bogus/],
      [['follow'], /unknown subcommand "follow"/],
    ];
    const outcomes = await Promise.all(cases.map(([args]) => ucproofMarkers(args)));
    for (const [i, [args, message]] of cases.entries()) {
      expect(outcomes[i]?.code, args.join(' ')).toBe(2);
      expect(outcomes[i]?.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('prints usage for --help', async ({ expect }) => {
    const outcome = await ucproofMarkers(['--help']);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('usage: ucproof markers wait --log FILE --sequence');
    expect(outcome.stdout).toContain('--failure');
  });
});
