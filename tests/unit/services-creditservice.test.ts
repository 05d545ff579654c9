import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreditservicePort } from '../../contracts/ports/creditservice.ts';
import { createCreditservicePort } from '../../lab/target/bindings/creditservice.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

describe('creditservice lab service', () => {
  let svc: LabServiceProcess;
  let credit: CreditservicePort;

  beforeAll(async () => {
    svc = await LabServiceProcess.start({ service: 'creditservice' });
    credit = createCreditservicePort(svc.binding());
  });
  afterAll(async () => {
    await svc?.dispose();
  });

  async function held(tenant: string, amount: number, key?: string) {
    const outcome = await credit.reserve({ tenant, amount, resource: 'vcpu', units: 2, idempotencyKey: key });
    if (!outcome.accepted) throw new Error(`reservation refused: ${outcome.reason}`);
    return outcome.reservation;
  }

  it('holds, commits once and releases credits, and the ledger survives a restart', async () => {
    await credit.createWallet('acme', 100);
    const a = await held('acme', 30, 'order-1');
    expect((await held('acme', 30, 'order-1')).id).toBe(a.id);
    expect(await credit.wallet('acme')).toMatchObject({ balance: 100, held: 30, available: 70 });
    await credit.commit(a.id);
    await credit.commit(a.id);
    const b = await held('acme', 20);
    await credit.release(b.id);
    await svc.restart();
    expect(await credit.wallet('acme')).toMatchObject({ balance: 70, held: 0, available: 70 });
    expect((await credit.reservation(a.id)).charges).toBe(1);
    const tooMuch = await credit.reserve({ tenant: 'acme', amount: 500 });
    expect(tooMuch).toMatchObject({ accepted: false, status: 402 });
  });

  it('rejects a reservation over quota; fault quota-not-enforced lets it through', async () => {
    await credit.createWallet('quota-co', 1000);
    await credit.setQuota('quota-co', 'vcpu', 4);
    await held('quota-co', 1);
    await held('quota-co', 1);
    expect(await credit.reserve({ tenant: 'quota-co', amount: 1, resource: 'vcpu', units: 2 })).toMatchObject({
      accepted: false,
      status: 429,
    });
    await svc.setFaults({ 'quota-not-enforced': true });
    const over = await credit.reserve({ tenant: 'quota-co', amount: 1, resource: 'vcpu', units: 2 });
    expect(over.accepted).toBe(true);
    expect((await credit.quota('quota-co')).used).toEqual({ vcpu: 6 });
    await svc.setFaults({});
  });

  it('fault double-spend charges a retried commit twice', async () => {
    await credit.createWallet('dbl', 50);
    const r = await held('dbl', 10);
    await svc.setFaults({ 'double-spend': true });
    await credit.commit(r.id);
    await credit.commit(r.id);
    expect((await credit.wallet('dbl')).balance).toBe(30);
    await svc.setFaults({});
  });

  it('a replay holds nothing more and is scoped to its tenant; faults break each', async () => {
    for (const t of ['idem-a', 'idem-b']) await credit.createWallet(t, 100);
    const req = { tenant: 'idem-a', amount: 10, resource: 'vcpu', units: 1, idempotencyKey: 'k1' };
    const first = await credit.reserve(req);
    const replay = await credit.reserve(req);
    expect(first.accepted && replay.accepted && replay.reservation.id === first.reservation.id).toBe(true);
    expect((await credit.wallet('idem-a')).held).toBe(10);
    const other = await credit.reserve({ ...req, tenant: 'idem-b' });
    expect(other.accepted && first.accepted && other.reservation.id !== first.reservation.id).toBe(true);
    await svc.setFaults({ 'idempotency-replay-doubles': true });
    await credit.reserve(req);
    expect((await credit.wallet('idem-a')).held).toBe(20);
    await svc.setFaults({ 'idempotency-key-global': true });
    await credit.createWallet('idem-c', 100);
    const stolen = await credit.reserve({ ...req, tenant: 'idem-c', idempotencyKey: 'k1' });
    expect(stolen.accepted && stolen.reservation.tenant).toBe('idem-a');
    await svc.setFaults({});
  });

  it('the quota holds exactly at its limit; faults move the boundary by one unit either way', async () => {
    await credit.createWallet('edge', 1000);
    await credit.setQuota('edge', 'vcpu', 3);
    await held('edge', 1);
    await svc.setFaults({ 'quota-rejects-at-limit': true });
    expect(await credit.reserve({ tenant: 'edge', amount: 1, resource: 'vcpu', units: 1 })).toMatchObject({
      accepted: false,
      status: 429,
    });
    await svc.setFaults({});
    expect((await credit.reserve({ tenant: 'edge', amount: 1, resource: 'vcpu', units: 1 })).accepted).toBe(true);
    expect((await credit.reserve({ tenant: 'edge', amount: 1, resource: 'vcpu', units: 1 })).accepted).toBe(false);
    await svc.setFaults({ 'quota-admits-one-over': true });
    expect((await credit.reserve({ tenant: 'edge', amount: 1, resource: 'vcpu', units: 1 })).accepted).toBe(true);
    expect((await credit.reserve({ tenant: 'edge', amount: 1, resource: 'vcpu', units: 1 })).accepted).toBe(false);
    await svc.setFaults({});
  });
});
