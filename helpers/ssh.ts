import ssh2 from 'ssh2';
import { HarnessError, WaitTimeoutError } from '../contracts/errors.ts';
import type { SshTarget } from '../contracts/guest.ts';
import type { ExecOptions, ExecResult } from '../contracts/node-handle.ts';
import { assertDestination } from './destination-guard.ts';
import { eventually } from './retry.ts';

export type { SshTarget };

export interface SshExecOptions extends ExecOptions {
  /** keep retrying the connection this long while sshd comes up (default 30 s, at most timeoutMs) */
  connectTimeoutMs?: number;
}

const defaultCommandTimeoutMs = 120_000;

/** Open an authenticated SSH connection, retrying refused/reset connects until connectTimeoutMs. */
export async function sshConnect(target: SshTarget, connectTimeoutMs = 30_000): Promise<ssh2.Client> {
  await assertDestination(target.host);
  return await eventually(
    () =>
      new Promise<ssh2.Client>((resolve, reject) => {
        const client = new ssh2.Client();
        client.once('ready', () => resolve(client));
        // every error, not just the first: a forward that accepts and then drops emits more than one
        client.on('error', (err) => {
          client.end();
          reject(err);
        });
        client.connect({
          host: target.host,
          port: target.port,
          username: target.user,
          privateKey: target.privateKey,
          readyTimeout: Math.min(connectTimeoutMs, 10_000),
          hostVerifier: () => true,
        });
      }),
    {
      timeoutMs: connectTimeoutMs,
      intervalMs: 100,
      maxIntervalMs: 1_000,
      what: `SSH to ${target.user}@${target.host}:${target.port}`,
    },
  );
}

/**
 * Run one command over SSH and collect its output. Bounded: a command that keeps running (or keeps stdout open)
 * past timeoutMs is killed, and WaitTimeoutError names it, the host and the output so far.
 */
export async function sshExec(target: SshTarget, command: string, options: SshExecOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  const client = await sshConnect(target, options.connectTimeoutMs ?? Math.min(30_000, options.timeoutMs ?? 30_000));
  const timeoutMs = options.timeoutMs ?? defaultCommandTimeoutMs;
  try {
    return await new Promise<ExecResult>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => {
        client.end();
        reject(
          new WaitTimeoutError(
            `command "${command}" on ${target.host} did not finish within ${timeoutMs} ms; stdout so far: ${JSON.stringify(stdout.slice(-500))}`,
            timeoutMs,
          ),
        );
      }, timeoutMs);
      client.exec(command, (err, channel) => {
        if (err) {
          clearTimeout(timer);
          return reject(new HarnessError(`cannot run "${command}" on ${target.host}: ${err.message}`, { cause: err }));
        }
        channel.on('data', (d: Buffer) => {
          stdout += d.toString('utf8');
        });
        channel.stderr.on('data', (d: Buffer) => {
          stderr += d.toString('utf8');
        });
        channel.on('exit', (code: number | null, signal?: string) => {
          // exit can arrive before the last data: collect until close, but never wait past the deadline
          channel.once('close', () => {
            clearTimeout(timer);
            resolve({
              exitCode: code ?? (signal ? 128 : 255),
              stdout,
              stderr,
              durationMs: Math.round(performance.now() - started),
            });
          });
          setTimeout(() => channel.close(), 2_000).unref();
        });
        if (options.input !== undefined) channel.end(options.input);
        else channel.end();
      });
    });
  } finally {
    client.end();
  }
}
