import { randomBytes } from 'node:crypto';
import type { Reservation, Wallet } from '../../contracts/ports/creditservice.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import { callJson } from '../../helpers/http.ts';
import { restartedInstance } from '../portable/portable-cluster.ts';
import type { Cleanup } from './fresh-matrix-cleanup.ts';
import { show } from './fresh-matrix-credit.ts';

/**
 * APIGateway: the same CreditService calls through the gateway with an API key (configuration rollout is
 * restart-based), and a request without a key refused before it reaches CreditService.
 */
export async function proveApigateway(ctx: LaneContext<Cluster>, cleanup: Cleanup, tenant: string): Promise<void> {
  const gatewayNode = ctx.target.descriptor.nodes.find((n) => n.services.apigateway)?.name;
  if (!gatewayNode) throw new Error(`${ctx.target.descriptor.name} runs no apigateway`);
  const gw = ctx.target.ports.apigateway;
  const credit = ctx.target.ports.creditservice;
  const restartGateway = async () => {
    await restartedInstance(ctx, ctx.target.node(gatewayNode), 'apigateway');
    await ctx.eventually(
      `apigateway on ${gatewayNode} serves its written configuration`,
      async () => {
        const c = await gw.config();
        if (c.pendingRestart) throw new Error('configuration still pending');
        return c;
      },
      { timeoutMs: 120_000 },
    );
    await nodeServicesHealthy(ctx, gatewayNode);
  };

  await ctx.step(
    'apigateway: the creditservice calls through the gateway with an API key; no key, refused',
    async () => {
      const before = await gw.config();
      const key = randomBytes(24).toString('base64url');
      const routes = before.routes.some((r) => r.service === 'creditservice')
        ? before.routes
        : [...before.routes, { prefix: '/api/credit/', service: 'creditservice' }];
      const prefix = routes.find((r) => r.service === 'creditservice')?.prefix as string;
      await gw.writeConfig({ routes, apiKeys: [key] });
      cleanup.add('apigateway configuration', async () => {
        await gw.writeConfig({ routes: before.routes, apiKeys: [] });
        await restartGateway();
      });
      await restartGateway();

      const direct = await credit.wallet(tenant);
      const viaGateway = await gw.request('GET', `${prefix}v1/wallets/${tenant}`, { apiKey: key });
      ctx.check(
        'a keyed wallet read through the gateway answers 200',
        viaGateway.status === 200,
        JSON.stringify(viaGateway),
      );
      ctx.check(
        'the gateway proxied the call to creditservice',
        viaGateway.upstream?.startsWith('creditservice@') === true,
        `upstream: ${viaGateway.upstream}`,
      );
      const body = viaGateway.body as Wallet;
      ctx.check(
        'the wallet through the gateway equals the direct read',
        body.balance === direct.balance && body.held === direct.held,
        JSON.stringify(body),
      );

      const keyless = await gw.request('POST', `${prefix}v1/reservations`, {
        body: { tenant, amount: 5, resource: 'vcpu', units: 1 },
      });
      ctx.check('a request without an API key is refused with 401', keyless.status === 401, JSON.stringify(keyless));
      const wrongKey = await gw.request('GET', `${prefix}v1/wallets/${tenant}`, {
        apiKey: randomBytes(24).toString('base64url'),
      });
      ctx.check(
        'a request with an unknown API key is refused with 401',
        wrongKey.status === 401,
        JSON.stringify(wrongKey),
      );
      const unchanged = await credit.wallet(tenant);
      ctx.check('the refused request reached no wallet', unchanged.held === direct.held, show(unchanged));

      const reserved = await gw.request('POST', `${prefix}v1/reservations`, {
        apiKey: key,
        body: { tenant, amount: 5, resource: 'vcpu', units: 1 },
      });
      const r = reserved.body as Reservation;
      ctx.check(
        'a keyed reservation through the gateway is accepted',
        reserved.status < 300 && r.status === 'held',
        JSON.stringify(reserved),
      );
      const committed = await gw.request('POST', `${prefix}v1/reservations/${r.id}/commit`, { apiKey: key });
      ctx.check('the reservation commits through the gateway', committed.status < 300, JSON.stringify(committed));
      const after = await credit.wallet(tenant);
      ctx.check(
        'the gateway commit charged the wallet once',
        after.balance === direct.balance - 5 && after.held === direct.held,
        `${show(direct)} → ${show(after)}`,
      );
    },
  );
}

/** Every HTTP service of `node` answers GET /health again (after the node restarted). */
async function nodeServicesHealthy(ctx: LaneContext<Cluster>, node: string): Promise<void> {
  const spec = ctx.target.descriptor.nodes.find((n) => n.name === node);
  for (const [service, endpoint] of Object.entries(spec?.services ?? {})) {
    if (!endpoint || (endpoint.scheme !== 'http' && endpoint.scheme !== 'https')) continue;
    const url = `http://${endpoint.host}:${endpoint.port}/health`;
    await ctx.eventually(
      `${service} on ${node} is healthy after the restart`,
      () => callJson('GET', url, { timeoutMs: 5_000 }),
      { timeoutMs: 120_000 },
    );
  }
}
