import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FiberlbPort } from '../../contracts/ports/fiberlb.ts';
import { eventually } from '../../helpers/retry.ts';
import { createFiberlbPort } from '../../lab/target/bindings/fiberlb.ts';
import { freePort, LabServiceProcess } from './support/lab-service-process.ts';

/** an HTTP backend that answers with its name; /healthz answers `healthy` */
async function backend(name: string) {
  const state = { healthy: true, port: await freePort(), server: undefined as Server | undefined };
  const start = async () => {
    const server = createServer((req, res) => {
      if (req.url === '/healthz') res.writeHead(state.healthy ? 200 : 503).end();
      else res.writeHead(200).end(name);
    });
    await new Promise<void>((resolve) => server.listen(state.port, '127.0.0.1', resolve));
    state.server = server;
  };
  const stop = async () => {
    state.server?.closeAllConnections();
    await new Promise<void>((resolve) => (state.server ? state.server.close(() => resolve()) : resolve()));
    state.server = undefined;
  };
  await start();
  return { name, state, start, stop };
}

describe('fiberlb lab service (haproxy)', () => {
  let svc: LabServiceProcess;
  let lb: FiberlbPort;
  let b1: Awaited<ReturnType<typeof backend>>;
  let b2: Awaited<ReturnType<typeof backend>>;

  /** which backends answered n fresh requests through a listener */
  async function spread(listener: string, n = 8): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await lb.probe(listener);
      seen.push(r.ok ? r.body : `error:${r.status || r.error}`);
    }
    return [...new Set(seen)].sort();
  }

  beforeAll(async () => {
    [b1, b2] = [await backend('b1'), await backend('b2')];
    svc = await LabServiceProcess.start({ service: 'fiberlb' });
    lb = createFiberlbPort(svc.binding());
    await lb.createCertificate('shop', 'shop.tenant.lab');
    await lb.createPool('web', { kind: 'http', path: '/healthz', expectStatus: 200, intervalMs: 200 });
    for (const b of [b1, b2]) await lb.setBackend('web', { name: b.name, host: '127.0.0.1', port: b.state.port });
    await lb.createListener({ name: 'plain', protocol: 'tcp', port: await freePort(), pool: 'web' });
    await lb.createListener({
      name: 'tls',
      protocol: 'https',
      port: await freePort(),
      pool: 'web',
      certificate: 'shop',
    });
    await lb.createListener({
      name: 'tls-l4',
      protocol: 'terminated-https',
      port: await freePort(),
      pool: 'web',
      certificate: 'shop',
    });
    await eventually(async () => expect((await lb.pool('web')).backends.map((b) => b.status)).toEqual(['UP', 'UP']));
  }, 60_000);
  afterAll(async () => {
    await svc?.dispose();
    await b1?.stop();
    await b2?.stop();
  });

  it('balances Tcp, Https and TerminatedHttps listeners, presenting the uploaded certificate on a real handshake', async () => {
    expect(await spread('plain')).toEqual(['b1', 'b2']);
    for (const name of ['tls', 'tls-l4']) {
      const r = await lb.probe(name, { servername: 'shop.tenant.lab' });
      expect(r).toMatchObject({
        ok: true,
        certificate: { subjectCN: 'shop.tenant.lab', subjectAltName: 'DNS:shop.tenant.lab' },
      });
      expect(await spread(name)).toEqual(['b1', 'b2']);
    }
  });

  it('a drained backend gets no new connections and rejoins when restored; fault drain-ignored keeps feeding it', async () => {
    await lb.drainBackend('web', 'b1');
    expect(await spread('plain')).toEqual(['b2']);
    expect((await lb.pool('web')).backends.find((b) => b.name === 'b1')).toMatchObject({ drained: true, weight: 0 });
    await svc.setFaults({ 'drain-ignored': true });
    await eventually(async () => expect(await spread('plain')).toEqual(['b1', 'b2']), {
      what: 'drained b1 back in rotation',
    });
    await svc.setFaults({});
    await eventually(async () => expect(await spread('plain')).toEqual(['b2']));
    await lb.restoreBackend('web', 'b1');
    expect(await spread('plain')).toEqual(['b1', 'b2']);
  });

  it('takes a backend failing its HTTP check or TCP reachability out; fault health-check-blind keeps it in', async () => {
    b2.state.healthy = false;
    await eventually(async () => expect(await spread('tls')).toEqual(['b1']), {
      what: 'b2 out after 503 health checks',
    });
    b2.state.healthy = true;
    await eventually(async () => expect(await spread('tls')).toEqual(['b1', 'b2']));
    await b2.stop();
    await eventually(async () => expect((await lb.pool('web')).backends[1]?.status).toMatch(/DOWN/));
    expect(await spread('plain')).toEqual(['b1']);
    await svc.setFaults({ 'health-check-blind': true });
    await eventually(async () => expect((await spread('plain')).some((s) => s.startsWith('error:'))).toBe(true), {
      what: 'dead b2 back in rotation',
    });
    await svc.setFaults({});
    await b2.start();
  });

  it('fault wrong-certificate makes a TLS listener present a certificate for another name', async () => {
    await svc.setFaults({ 'wrong-certificate': true });
    await eventually(async () =>
      expect((await lb.probe('tls', { servername: 'shop.tenant.lab' })).certificate?.subjectCN).toBe(
        'wrong.fiberlb.invalid',
      ),
    );
    await svc.setFaults({});
    await eventually(async () => expect((await lb.probe('tls')).certificate?.subjectCN).toBe('shop.tenant.lab'));
  });

  it('serves the same listeners after a restart', async () => {
    await svc.restart();
    expect((await lb.listeners()).map((l) => l.name).sort()).toEqual(['plain', 'tls', 'tls-l4']);
    await eventually(async () => expect(await spread('tls-l4')).toEqual(['b1', 'b2']));
  });
});
