import { createServer } from 'node:net';
import { describe, expect, test } from 'vitest';
import { HarnessError } from '../../contracts/errors.ts';
import { assertPortFree, freeLoopbackPort } from '../../helpers/qemu-hostfwd.ts';

describe('hostfwd ports', () => {
  test('a port in use fails clearly, naming the port and what it was for', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const err = await assertPortFree(port, 'SSH to the control-plane node').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HarnessError);
      expect((err as Error).message).toMatch(
        new RegExp(`127\\.0\\.0\\.1:${port} for SSH to the control-plane node.*EADDRINUSE`),
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('a free loopback port can be bound', async () => {
    const port = await freeLoopbackPort();
    expect(port).toBeGreaterThan(0);
    await expect(assertPortFree(port, 'test')).resolves.toBeUndefined();
  });
});
