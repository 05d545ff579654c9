import { createServer } from 'node:net';
import { HarnessError } from '../contracts/errors.ts';

/** The seed's SSH forwards for the bare-metal proof: control plane and worker. */
export const defaultSshForwards = { control: 22231, worker: 22232 } as const;

function tryListen(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const addr = server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** Fail clearly when a host port a guest forward needs is already taken. */
export async function assertPortFree(port: number, purpose: string, host = '127.0.0.1'): Promise<void> {
  try {
    await tryListen(port, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HarnessError(
      `host port ${host}:${port} for ${purpose} is not available (${code ?? String(err)}); free it or choose another port`,
    );
  }
}

/** A port on 127.0.0.1 that is free right now (for tests that run beside other runs). */
export function freeLoopbackPort(): Promise<number> {
  return tryListen(0, '127.0.0.1');
}
