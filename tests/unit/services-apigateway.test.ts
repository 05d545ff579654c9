import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApigatewayPort } from '../../contracts/ports/apigateway.ts';
import { createApigatewayPort } from '../../lab/target/bindings/apigateway.ts';
import { createCreditservicePort } from '../../lab/target/bindings/creditservice.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

const apiKey = 'unit-test-key-0123456789';

describe('apigateway lab service', () => {
  let credit: LabServiceProcess;
  let storage: LabServiceProcess;
  let gw: LabServiceProcess;
  let gateway: ApigatewayPort;

  beforeAll(async () => {
    credit = await LabServiceProcess.start({ service: 'creditservice', node: 'node04' });
    storage = await LabServiceProcess.start({ service: 'lightningstor', node: 'node05' });
    const cluster = {
      nodes: [
        { name: 'node04', role: 'worker', address: '127.0.0.1', services: { creditservice: credit.endpoint } },
        { name: 'node05', role: 'worker', address: '127.0.0.1', services: { lightningstor: storage.endpoint } },
      ],
    };
    gw = await LabServiceProcess.start({
      service: 'apigateway',
      node: 'node06',
      env: { UCP_CLUSTER: JSON.stringify(cluster) },
    });
    gateway = createApigatewayPort(gw.binding());
    await createCreditservicePort(credit.binding()).createWallet('acme', 40);
  });
  afterAll(async () => {
    await gw?.dispose();
    await storage?.dispose();
    await credit?.dispose();
  });

  it('rolls out a written configuration only at restart, then routes authenticated requests', async () => {
    expect((await gateway.request('GET', '/api/credit/v1/wallets/acme', { apiKey })).status).toBe(401);
    const defaults = await gateway.config();
    expect(await gateway.writeConfig({ routes: defaults.routes, apiKeys: [apiKey] })).toEqual({ pendingRestart: true });
    expect((await gateway.request('GET', '/api/credit/v1/wallets/acme', { apiKey })).status).toBe(401);
    await gw.restart();
    expect(await gateway.config()).toMatchObject({ apiKeyCount: 1, pendingRestart: false });
    const answer = await gateway.request('GET', '/api/credit/v1/wallets/acme', { apiKey });
    expect(answer).toMatchObject({ status: 200, body: { tenant: 'acme', balance: 40 } });
    expect(answer.upstream).toBe(`creditservice@127.0.0.1:${credit.port}`);
    const reserved = await gateway.request('POST', '/api/credit/v1/reservations', {
      apiKey,
      body: { tenant: 'acme', amount: 5 },
    });
    expect(reserved).toMatchObject({ status: 200, body: { status: 'held', amount: 5 } });
    expect(
      (await gateway.request('GET', '/api/credit/v1/wallets/acme', { apiKey: 'wrong-key-0123456789' })).status,
    ).toBe(401);
  });

  it('fault skip-auth lets a request without a key through', async () => {
    await gw.setFaults({ 'skip-auth': true });
    expect((await gateway.request('GET', '/api/credit/v1/wallets/acme')).status).toBe(200);
    await gw.setFaults({});
    expect((await gateway.request('GET', '/api/credit/v1/wallets/acme')).status).toBe(401);
  });

  it('fault route-to-wrong-backend proxies a credit request to another service', async () => {
    await gw.setFaults({ 'route-to-wrong-backend': true });
    const answer = await gateway.request('GET', '/api/credit/v1/wallets/acme', { apiKey });
    expect(answer.upstream).toBe(`lightningstor@127.0.0.1:${storage.port}`);
    expect(answer.status).toBe(404);
    await gw.setFaults({});
  });
});
