import { createServer } from 'node:net';

function tryListen(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/** A port for a VM's forward on this worker's address: the VM's previous one when still free, else a new one. */
export async function forwardPort(host: string, previous?: number): Promise<number> {
  if (previous && (await tryListen(host, previous)) === previous) return previous;
  const port = await tryListen(host, 0);
  if (!port) throw new Error(`no free TCP port on ${host} for a VM port forward`);
  return port;
}
