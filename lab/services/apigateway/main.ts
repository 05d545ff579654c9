import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError, type Request, reply, startHttpService } from '../common/http-service.ts';
import type { ServiceEnvironment } from '../common/service-env.ts';
import { apigatewayFaults } from './faults.ts';
import { GatewayConfig, GatewayConfigFile, type GatewayRoute } from './gateway-config.ts';

/**
 * APIGateway in the reference lab: a reverse proxy that routes by path prefix to lab services found in
 * UCP_CLUSTER, after checking an API key (`authorization: Bearer <key>` or `x-api-key`).
 *   GET/PUT /_gateway/config (a written config takes effect at the next restart), ANY /api/...
 */
await startHttpService({
  faults: apigatewayFaults,
  routes(app, { env, faults }) {
    const config = new GatewayConfigFile(env.stateDir);
    const keyDigests = config.active.apiKeys.map(digest);
    app.get('/_gateway/config', () => ({
      routes: config.active.routes,
      apiKeyCount: keyDigests.length,
      pendingRestart: config.pending(),
    }));
    app.put('/_gateway/config', (req) => {
      const parsed = GatewayConfig.safeParse(req.body);
      if (!parsed.success)
        throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      config.write(parsed.data);
      return { pendingRestart: config.pending() };
    });
    const proxy = async (req: Request) => {
      const index = config.active.routes.findIndex((r) => req.path.startsWith(r.prefix));
      if (index < 0) throw new HttpError(404, `no gateway route for ${req.path}`);
      if (!faults.on('skip-auth') && !authorized(req, keyDigests))
        throw new HttpError(401, 'missing or invalid API key');
      const route = faults.on('route-to-wrong-backend')
        ? wrongRoute(env, config.active.routes, index)
        : config.active.routes[index];
      const upstream = upstreamOf(env, route as GatewayRoute);
      const target = `http://${upstream}/${req.path.slice((config.active.routes[index] as GatewayRoute).prefix.length)}${queryOf(req)}`;
      const res = await fetch(target, {
        method: req.method,
        headers: req.raw.length ? { 'content-type': String(req.headers['content-type'] ?? 'application/json') } : {},
        body: req.raw.length ? req.raw : undefined,
        signal: AbortSignal.timeout(15_000),
      }).catch((err: Error) => {
        throw new HttpError(502, `upstream ${route?.service} at ${upstream} unreachable: ${err.message}`);
      });
      return reply({
        status: res.status,
        body: new Uint8Array(await res.arrayBuffer()),
        headers: {
          'content-type': res.headers.get('content-type') ?? 'application/octet-stream',
          'x-apigateway-upstream': `${route?.service}@${upstream}`,
        },
      });
    };
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) app.on(method, '/api/:rest*', proxy);
  },
});

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

function authorized(req: Request, digests: Buffer[]): boolean {
  const auth = String(req.headers.authorization ?? '');
  const presented = auth.startsWith('Bearer ') ? auth.slice(7) : String(req.headers['x-api-key'] ?? '');
  if (!presented) return false;
  const d = digest(presented);
  return digests.some((k) => timingSafeEqual(k, d));
}

function upstreamOf(env: ServiceEnvironment, route: GatewayRoute): string {
  const hit = env.cluster.nodes.find((n) => n.services[route.service]);
  const ep = hit?.services[route.service];
  if (!ep) throw new HttpError(502, `no ${route.service} instance in the cluster for route ${route.prefix}`);
  return `${ep.host}:${ep.port}`;
}

/** the next route whose service differs and runs somewhere: where a mis-routing gateway sends traffic */
function wrongRoute(env: ServiceEnvironment, routes: GatewayRoute[], index: number): GatewayRoute | undefined {
  const own = routes[index] as GatewayRoute;
  const others = [...routes.slice(index + 1), ...routes.slice(0, index)];
  const running = (r: GatewayRoute) => env.cluster.nodes.some((n) => n.services[r.service]);
  return others.find((r) => r.service !== own.service && running(r)) ?? own;
}

function queryOf(req: Request): string {
  const q = req.query.toString();
  return q ? `?${q}` : '';
}
