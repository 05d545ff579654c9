import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';

/**
 * Serve one local installer image over HTTP on loopback so a BMC on this host (the lab's) can fetch it through
 * InsertMedia. A physical BMC needs an image URL on its own network instead (ULTRACLOUD_ISO_URL).
 */
export async function serveImage(path: string): Promise<{ url: string } & AsyncDisposable> {
  const size = (await stat(path)).size;
  const name = basename(path);
  const server = createServer((req, res) => {
    if (req.url !== `/${encodeURIComponent(name)}`) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
