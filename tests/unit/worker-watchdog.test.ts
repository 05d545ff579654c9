import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/proof-root.ts';

const watchdog = join(projectRoot, 'harness/worker-watchdog.ts');

/** A Node process that loads the watchdog (as Vitest loads a setup file), then idles with a ref'd timer. */
function spawnWatched(env: NodeJS.ProcessEnv): ChildProcess {
  const script = `await import(${JSON.stringify(watchdog)}); console.log('watching'); setInterval(() => {}, 60_000);`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function started(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('watching') && resolve());
    child.once('exit', (code) => reject(new Error(`the watched process exited (${code}) before it started`)));
  });
}

describe('worker watchdog', () => {
  it('exits a worker within a few seconds of its watched parent being killed', async () => {
    const parent = spawn('sleep', ['600'], { stdio: 'ignore' });
    const worker = spawnWatched({ ULTRACLOUD_WATCHDOG_PARENT_PID: String(parent.pid) });
    let stderr = '';
    worker.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      await started(worker);
      // still running while the parent lives
      await new Promise((r) => setTimeout(r, 2_500));
      expect(worker.exitCode).toBeNull();

      const exited = once(worker, 'exit');
      const killedAt = Date.now();
      parent.kill('SIGKILL');
      const [code] = await exited;
      const tookMs = Date.now() - killedAt;
      expect(code).toBe(70);
      expect(tookMs).toBeLessThan(3_000);
      expect(stderr).toContain(`process ${parent.pid} is gone`);
    } finally {
      parent.kill('SIGKILL');
      worker.kill('SIGKILL');
    }
  });

  it('exits a worker whose real parent died (it was reparented)', async () => {
    // a shell starts the watched process in the background, prints its pid and is killed: the process is orphaned
    const shell = spawn(
      'sh',
      [
        '-c',
        `"$0" --input-type=module -e "$1" >/dev/null 2>&1 & echo $!; exec sleep 600`,
        process.execPath,
        `await import(${JSON.stringify(watchdog)}); setInterval(() => {}, 60_000);`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ULTRACLOUD_WATCHDOG_PARENT_PID: '' } },
    );
    const pid = Number(
      await new Promise<string>((resolve) => shell.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()))),
    );
    // running, not a zombie waiting for whoever adopted it to reap it
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    try {
      // give it time to load the watchdog
      await new Promise((r) => setTimeout(r, 2_000));
      expect(alive()).toBe(true);
      shell.kill('SIGKILL');
      const deadline = Date.now() + 5_000;
      while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(alive()).toBe(false);
    } finally {
      shell.kill('SIGKILL');
      if (alive()) process.kill(pid, 'SIGKILL');
    }
  });
});
