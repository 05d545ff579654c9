import type { FiberlbPort, LbListener, ProbeResult } from '../../contracts/ports/fiberlb.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import {
  type HttpBackend,
  parseRequestEcho,
  randomPort,
  requestEchoPath,
  startHttpBackendOnFreePort,
} from './fresh-matrix-backends.ts';
import type { Cleanup } from './fresh-matrix-cleanup.ts';

/** the FiberLB operations proveFiberlb calls, for the requires of every lane that runs it */
export const fiberlbOperations = [
  'fiberlb.createCertificate',
  'fiberlb.createListener',
  'fiberlb.createPool',
  'fiberlb.deleteListener',
  'fiberlb.drainBackend',
  'fiberlb.listeners',
  'fiberlb.pool',
  'fiberlb.probe',
  'fiberlb.removeBackend',
  'fiberlb.restoreBackend',
  'fiberlb.setBackend',
] as const;

/** What the FiberLB sub-proof leaves for the FlashDNS one: the listeners and the name their certificate holds. */
export interface LbUnderTest {
  tcp: LbListener;
  https: LbListener;
  terminated: LbListener;
  commonName: string;
  backends: HttpBackend[];
}

/** Which backends answered `n` requests through a listener, each on a fresh connection. */
export async function spread(lb: FiberlbPort, listener: string, n = 8, servername?: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await lb.probe(listener, servername ? { servername } : {});
    seen.push(r.ok ? r.body.trim() : `error:${r.status || r.error}`);
  }
  return [...new Set(seen)].sort();
}

const names = (backends: HttpBackend[]) =>
  backends
    .map((b) => b.name)
    .sort()
    .join(',');

/**
 * FiberLB: a Tcp listener balancing real connections across backends on both workers, Https and TerminatedHttps
 * listeners terminating TLS with the uploaded certificate on real handshakes, and a drained backend receiving no
 * new connections until it is restored.
 */
export async function proveFiberlb(
  ctx: LaneContext<Cluster>,
  cleanup: Cleanup,
  tag: string,
  commonName: string,
): Promise<LbUnderTest> {
  const lb = ctx.target.ports.fiberlb;
  const pool = `m-${tag}`;
  const backends: HttpBackend[] = [];

  const tcp = await ctx.step('fiberlb: a Tcp listener balances real connections across both workers', async () => {
    for (const [i, worker] of ctx.target.withRole('worker').slice(0, 2).entries()) {
      const b = await startHttpBackendOnFreePort(worker, `m-${tag}-${'ab'[i]}`);
      cleanup.add(`backend ${b.name} on ${b.node}`, () => b.stop());
      backends.push(b);
    }
    ctx.check('two workers host a backend', backends.length === 2, `backends: ${names(backends)}`);
    await lb.createPool(pool, { kind: 'http', path: '/', expectStatus: 200, intervalMs: 300 });
    for (const b of backends) {
      await lb.setBackend(pool, { name: b.name, host: b.host, port: b.port });
      cleanup.add(`fiberlb backend ${b.name}`, () => lb.removeBackend(pool, b.name));
    }
    const listener = await createListener(ctx, cleanup, { name: `m-${tag}-tcp`, protocol: 'tcp', pool });
    await ctx.eventually('both backends pass their HTTP health check', async () => {
      const status = (await lb.pool(pool)).backends.map((b) => `${b.name}=${b.status}`);
      if (!status.every((s) => s.endsWith('=UP'))) throw new Error(status.join(', '));
    });
    const seen = await ctx.eventually('Tcp listener traffic reaches both backends', async () => {
      const s = await spread(lb, listener.name);
      if (s.join(',') !== names(backends)) throw new Error(`answered by: ${s.join(', ')}`);
      return s;
    });
    ctx.log(`tcp ${listener.host}:${listener.port} answered by ${seen.join(', ')}`);
    return listener;
  });

  const [https, terminated] = await ctx.step(
    'fiberlb: Https and TerminatedHttps listeners terminate TLS with the uploaded certificate; only Https rewrites the request at L7',
    async () => {
      const certificate = await lb.createCertificate(`m-${tag}`, commonName);
      const made: LbListener[] = [];
      for (const protocol of ['https', 'terminated-https'] as const) {
        const l = await createListener(ctx, cleanup, {
          name: `m-${tag}-${protocol === 'https' ? 'https' : 'thttps'}`,
          protocol,
          pool,
          certificate: certificate.name,
        });
        const first: ProbeResult = await ctx.eventually(`${protocol} listener completes a TLS handshake`, async () => {
          const r = await lb.probe(l.name, { servername: commonName });
          if (!r.certificate) throw new Error(r.error ?? `no certificate (status ${r.status})`);
          return r;
        });
        const cert = first.certificate;
        ctx.check(
          `${protocol} listener presents a certificate whose subject is ${commonName}`,
          cert?.subjectCN === commonName,
          JSON.stringify(cert),
        );
        ctx.check(
          `${protocol} listener certificate's SAN names ${commonName}`,
          (cert?.subjectAltName ?? '').split(/,\s*/).includes(`DNS:${commonName}`),
          cert?.subjectAltName,
        );
        ctx.check(
          `${protocol} listener presents exactly the uploaded certificate`,
          cert?.fingerprint256 === certificate.sha256Fingerprint,
          `served ${cert?.fingerprint256}, uploaded ${certificate.sha256Fingerprint}`,
        );
        const seen = await spread(lb, l.name, 8, commonName);
        ctx.check(`${protocol} traffic reaches both backends`, seen.join(',') === names(backends), seen.join(', '));
        // what the backend itself received: its echo page runs only for a plain HTTP request it could parse
        const echo = await lb.probe(l.name, { servername: commonName, path: requestEchoPath });
        const received = parseRequestEcho(echo.body);
        await ctx.artifact(`fiberlb-${protocol}-backend-request.json`, { status: echo.status, ...received });
        ctx.check(
          `the ${protocol} listener's backend receives plain HTTP, decrypted by the load balancer`,
          echo.ok && received.headers.host !== undefined,
          `status ${echo.status} ${echo.error ?? ''} body ${JSON.stringify(echo.body.slice(0, 200))}`,
        );
        const forwarded = Object.keys(received.headers).filter((h) => h.startsWith('x-forwarded-'));
        if (protocol === 'https')
          ctx.check(
            'the https listener proxies at L7: its backend receives X-Forwarded-Proto: https added by the load balancer',
            received.headers['x-forwarded-proto'] === 'https' && received.headers['x-forwarded-for'] !== undefined,
            JSON.stringify(received.headers),
          );
        else
          ctx.check(
            'the terminated-https listener relays the decrypted request unaltered: its backend receives no X-Forwarded-* header',
            forwarded.length === 0,
            JSON.stringify(received.headers),
          );
        made.push(l);
      }
      await ctx.artifact('fiberlb-listeners.json', await lb.listeners());
      return made as [LbListener, LbListener];
    },
  );

  await ctx.step('fiberlb: a drained backend gets no new connections; restored, traffic re-converges', async () => {
    const [drained, kept] = backends as [HttpBackend, HttpBackend];
    const sessions = async () =>
      (await lb.pool(pool)).backends.find((b) => b.name === drained.name)?.sessionsTotal ?? Number.NaN;
    await lb.drainBackend(pool, drained.name);
    const before = await sessions();
    const seen = await spread(lb, tcp.name, 12);
    ctx.check(`after the drain only ${kept.name} answers`, seen.join(',') === kept.name, seen.join(', '));
    const after = await sessions();
    ctx.check(`${drained.name} received no new connections while drained`, after === before, `${before} → ${after}`);
    const state = (await lb.pool(pool)).backends.find((b) => b.name === drained.name);
    ctx.check(
      `fiberlb reports ${drained.name} drained with weight 0`,
      state?.drained === true && state.weight === 0,
      JSON.stringify(state),
    );
    await ctx.artifact('fiberlb-pool-drained.json', { spreadWhileDrained: seen, sessions: { before, after }, state });
    await lb.restoreBackend(pool, drained.name);
    await ctx.eventually(`traffic re-converges onto ${drained.name} after the restore`, async () => {
      const s = await spread(lb, tcp.name);
      if (s.join(',') !== names(backends)) throw new Error(`answered by: ${s.join(', ')}`);
    });
    await ctx.artifact('fiberlb-pool-after-restore.json', await lb.pool(pool));
  });

  return { tcp, https, terminated, commonName, backends };
}

async function createListener(
  ctx: LaneContext<Cluster>,
  cleanup: Cleanup,
  listener: Omit<LbListener, 'host' | 'port'>,
): Promise<LbListener> {
  const lb = ctx.target.ports.fiberlb;
  for (let attempt = 1; ; attempt++) {
    try {
      const made = await lb.createListener({ ...listener, port: randomPort() });
      cleanup.add(`fiberlb listener ${made.name}`, () => lb.deleteListener(made.name));
      return made;
    } catch (err) {
      if (attempt >= 3 || !/port \d+ is taken/.test(String(err))) throw err;
    }
  }
}
