import { z } from 'zod';
import { HttpError, startHttpService } from '../common/http-service.ts';
import { generateCertificate, importCertificate } from './certificates.ts';
import { fiberlbFaults } from './faults.ts';
import { Backend, HealthCheck, type LbState, Listener } from './lb-model.ts';
import { type ActiveFaults, LoadBalancer } from './load-balancer.ts';

/**
 * FiberLB in the reference lab: listeners (Tcp, Http, Https and TerminatedHttps with TLS terminated here),
 * pools with health-checked backends, drain and restore; served by a real HAProxy the service configures.
 *   POST /v1/certificates {name, commonName} | {name, certPem, keyPem}, GET /v1/certificates
 *   POST /v1/pools {name, healthCheck}, GET /v1/pools/:pool, PUT|DELETE /v1/pools/:pool/backends/:backend {host,port}
 *   POST /v1/pools/:pool/backends/:backend/drain|restore, POST /v1/listeners, GET /v1/listeners, DELETE /v1/listeners/:name
 */
function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const res = schema.safeParse(body ?? {});
  if (!res.success)
    throw new HttpError(400, res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return res.data;
}

let lb: LoadBalancer | undefined;

await startHttpService({
  faults: fiberlbFaults,
  async routes(app, { env, faults }) {
    const balancer = new LoadBalancer(env.stateDir, env.host);
    lb = balancer;
    const active = (): ActiveFaults => ({
      wrongCertificate: faults.on('wrong-certificate'),
      drainIgnored: faults.on('drain-ignored'),
      healthCheckBlind: faults.on('health-check-blind'),
      terminatedHttpsAsHttps: faults.on('terminated-https-as-https'),
    });
    await balancer.start(active());
    // a fault switch changes the rendered config: apply it at once, not at the next API call
    let applied = JSON.stringify(active());
    setInterval(() => {
      const now = JSON.stringify(active());
      if (now === applied) return;
      applied = now;
      void balancer.change(active(), () => undefined).catch((err) => console.error(`fault reload failed: ${err}`));
    }, 200).unref();

    const pool = (s: LbState, name: string) => {
      const p = s.pools[name];
      if (!p) throw new HttpError(404, `no pool "${name}"`);
      return p;
    };
    const backendOf = (s: LbState, poolName: string, name: string) => {
      const b = pool(s, poolName).backends.find((x) => x.name === name);
      if (!b) throw new HttpError(404, `no backend "${name}" in pool "${poolName}"`);
      return b;
    };
    const certView = ({
      pemPath: _hidden,
      ...rest
    }: {
      pemPath: string;
      name: string;
      commonName: string;
      sha256Fingerprint: string;
    }) => rest;

    app.post('/v1/certificates', async (req) => {
      const body = parse(
        z.union([
          z.object({ name: z.string().regex(/^[a-z0-9-]+$/), commonName: z.string().min(1) }),
          z.object({ name: z.string().regex(/^[a-z0-9-]+$/), certPem: z.string().min(1), keyPem: z.string().min(1) }),
        ]),
        req.body,
      );
      const cert =
        'commonName' in body
          ? await generateCertificate(balancer.certDir, body.name, body.commonName)
          : await importCertificate(balancer.certDir, body.name, body.certPem, body.keyPem);
      await balancer.change(active(), (s) => {
        s.certificates[cert.name] = cert;
      });
      return certView(cert);
    });
    app.get('/v1/certificates', () => ({
      certificates: Object.values(balancer.state.get().certificates).map(certView),
    }));

    app.post('/v1/pools', (req) => {
      const body = parse(
        z.object({ name: z.string().regex(/^[a-z0-9-]+$/), healthCheck: HealthCheck.optional() }),
        req.body,
      );
      return balancer.change(active(), (s) => {
        if (s.pools[body.name]) throw new HttpError(409, `pool "${body.name}" exists`);
        s.pools[body.name] = {
          name: body.name,
          healthCheck: body.healthCheck ?? { kind: 'tcp', intervalMs: 500 },
          backends: [],
        };
        return s.pools[body.name];
      });
    });
    app.get('/v1/pools/:pool', async (req) => {
      const s = balancer.state.get();
      const p = pool(s, req.params.pool ?? '');
      const users = Object.values(s.listeners)
        .filter((l) => l.pool === p.name)
        .map((l) => `pool-${l.name}`);
      const stats = (await balancer.haproxy.stats()).filter((x) => users.includes(x.backend));
      return {
        ...p,
        backends: p.backends.map((b) => {
          const mine = stats.filter((x) => x.server === b.name);
          return {
            ...b,
            status: mine[0]?.status ?? 'unused',
            weight: mine[0]?.weight ?? 0,
            sessionsTotal: mine.reduce((n, x) => n + x.sessionsTotal, 0),
          };
        }),
      };
    });
    app.put('/v1/pools/:pool/backends/:backend', (req) => {
      const body = parse(Backend.omit({ name: true, drained: true }), req.body);
      const b = parse(Backend, { ...body, name: req.params.backend });
      return balancer.change(active(), (s) => {
        const p = pool(s, req.params.pool ?? '');
        p.backends = [...p.backends.filter((x) => x.name !== b.name), b];
        return b;
      });
    });
    app.delete('/v1/pools/:pool/backends/:backend', (req) =>
      balancer.change(active(), (s) => {
        const b = backendOf(s, req.params.pool ?? '', req.params.backend ?? '');
        const p = pool(s, req.params.pool ?? '');
        p.backends = p.backends.filter((x) => x !== b);
        return b;
      }),
    );
    for (const [verb, drained] of [
      ['drain', true],
      ['restore', false],
    ] as const) {
      app.post(`/v1/pools/:pool/backends/:backend/${verb}`, (req) =>
        balancer.change(active(), (s) => {
          const b = backendOf(s, req.params.pool ?? '', req.params.backend ?? '');
          b.drained = drained;
          return b;
        }),
      );
    }

    app.post('/v1/listeners', (req) => {
      const l = parse(Listener, req.body);
      return balancer.change(active(), (s) => {
        if (s.listeners[l.name]) throw new HttpError(409, `listener "${l.name}" exists`);
        pool(s, l.pool);
        if (l.certificate && !s.certificates[l.certificate])
          throw new HttpError(404, `no certificate "${l.certificate}"`);
        const clash = Object.values(s.listeners).find((x) => x.port === l.port);
        if (clash) throw new HttpError(409, `port ${l.port} is taken by listener "${clash.name}"`);
        s.listeners[l.name] = l;
        return { ...l, host: env.host };
      });
    });
    app.get('/v1/listeners', () => ({
      listeners: Object.values(balancer.state.get().listeners).map((l) => ({ ...l, host: env.host })),
    }));
    app.delete('/v1/listeners/:name', (req) =>
      balancer.change(active(), (s) => {
        const l = s.listeners[req.params.name ?? ''];
        if (!l) throw new HttpError(404, `no listener "${req.params.name}"`);
        delete s.listeners[l.name];
        return l;
      }),
    );
  },
  async onShutdown() {
    await lb?.haproxy.stop();
  },
});
