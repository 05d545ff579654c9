import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaitTimeoutError } from '../../contracts/errors.ts';
import { type SshTarget, sshExec } from '../../helpers/ssh.ts';
import { generateSshKeyPair } from '../../helpers/ssh-keys.ts';
import { prepareRootHome } from '../../lab/node/dropbear.ts';

/**
 * helpers/ssh.ts against a real dropbear on loopback, in a mount namespace whose /root is a temporary home holding
 * a throwaway authorized key (the host's /root/.ssh is never touched).
 */
let dir: string;
let port: number;
let sshd: ChildProcess | undefined;
let target: SshTarget;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function startDropbear(): ChildProcess {
  const home = join(dir, 'root');
  return spawn(
    'unshare',
    [
      '--mount',
      '--',
      'sh',
      '-c',
      `mount --bind ${home} /root && exec dropbear -F -E -s -p 127.0.0.1:${port} -r ${join(dir, 'hostkey')} -P ${join(dir, 'pid')}`,
    ],
    { stdio: 'ignore' },
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ucp-ssh-'));
  mkdirSync(join(dir, 'root'));
  execFileSync('dropbearkey', ['-t', 'ed25519', '-f', join(dir, 'hostkey')], { stdio: 'ignore' });
  const keys = generateSshKeyPair('ucproof-ssh-test');
  prepareRootHome(join(dir, 'root'), keys.public);
  port = await freePort();
  target = { host: '127.0.0.1', port, user: 'root', privateKey: keys.private };
});

afterAll(() => {
  sshd?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('sshExec', () => {
  it('keeps retrying the connection while sshd comes up, then runs the command', async () => {
    const late = setTimeout(() => {
      sshd = startDropbear();
    }, 1_000);
    try {
      const r = await sshExec(target, 'echo hello; echo warn >&2; exit 4', { connectTimeoutMs: 20_000 });
      expect(r).toMatchObject({ exitCode: 4, stdout: 'hello\n', stderr: 'warn\n' });
    } finally {
      clearTimeout(late);
    }
  });

  it('feeds input to the command', async () => {
    const r = await sshExec(target, 'tr a-z A-Z', { input: 'lab node\n' });
    expect(r.stdout).toBe('LAB NODE\n');
  });

  it('does not hang when a background process keeps stdout open', async () => {
    const r = await sshExec(target, 'sleep 20 & echo started', { timeoutMs: 15_000 });
    expect(r.stdout.trim()).toBe('started');
    expect(r.durationMs).toBeLessThan(10_000);
  });

  it('bounds a command that never finishes and says which command, where and for how long', async () => {
    const err = await sshExec(target, 'echo partial; sleep 60', { timeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toMatch(
      /command "echo partial; sleep 60" on 127\.0\.0\.1 did not finish within 1500 ms/,
    );
    expect((err as Error).message).toContain('partial');
  });

  it('refuses an address that is neither loopback nor a live lab node', async () => {
    await expect(sshExec({ ...target, host: '192.0.2.10' }, 'true')).rejects.toThrow(
      /refusing to contact 192\.0\.2\.10: it is not loopback and no target of this run vouches for it/,
    );
  });
});
