import { type AddressInfo, createServer, type Socket } from 'node:net';
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

/** A loopback listener on this host whose connections the SSH server opens, inside the node, to one address. */
export interface SshTunnel {
  /** where to connect on this host (127.0.0.1 and a free port) */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Forward a loopback port of this host to `remoteHost:remotePort` as seen from inside the node (SSH direct-tcpip):
 * the connection to the service starts in the node itself, so `127.0.0.1` means the node's own loopback. One SSH
 * session carries every connection; it is opened on first use and again after it drops.
 */
export async function sshTunnel(target: SshTarget, remoteHost: string, remotePort: number): Promise<SshTunnel> {
  let client: Promise<ssh2.Client> | undefined;
  const session = () => {
    client ??= sshConnect(target).then((c) => {
      c.on('close', () => {
        client = undefined;
      });
      return c;
    });
    client.catch(() => {
      client = undefined;
    });
    return client;
  };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    session().then(
      (c) =>
        c.forwardOut('127.0.0.1', 0, remoteHost, remotePort, (err, stream) => {
          if (err) return socket.destroy();
          stream.on('error', () => socket.destroy());
          socket.pipe(stream).pipe(socket);
        }),
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const c = await client?.catch(() => undefined);
      c?.end();
    },
  };
}
