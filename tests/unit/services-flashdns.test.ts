import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlashdnsPort } from '../../contracts/ports/flashdns.ts';
import { eventually } from '../../helpers/retry.ts';
import { createFlashdnsPort } from '../../lab/target/bindings/flashdns.ts';
import { freePort, LabServiceProcess } from './support/lab-service-process.ts';

describe('flashdns lab service (nsd)', () => {
  let svc: LabServiceProcess;
  let dns: FlashdnsPort;

  beforeAll(async () => {
    svc = await LabServiceProcess.start({ service: 'flashdns', env: { UCP_DNS_PORT: String(await freePort()) } });
    dns = createFlashdnsPort(svc.binding());
  }, 30_000);
  afterAll(async () => {
    await svc?.dispose();
  });

  it('answers A, AAAA, CNAME and TXT records authoritatively on the wire, and forgets removed ones', async () => {
    await dns.createZone('tenant.lab');
    await dns.addRecord('tenant.lab', { name: 'www', type: 'A', value: '10.20.0.5' });
    await dns.addRecord('tenant.lab', { name: 'www', type: 'AAAA', value: 'fd00::5' });
    await dns.addRecord('tenant.lab', { name: 'shop', type: 'CNAME', value: 'www.tenant.lab.' });
    const txt = await dns.addRecord('tenant.lab', { name: '@', type: 'TXT', value: 'owner "acme"', ttl: 60 });
    const a = await dns.resolve('www.tenant.lab', 'A');
    expect(a).toMatchObject({ status: 'NOERROR', authoritative: true });
    expect(a.answers).toEqual([{ name: 'www.tenant.lab.', ttl: 30, type: 'A', value: '10.20.0.5' }]);
    expect((await dns.resolve('www.tenant.lab', 'AAAA')).answers[0]?.value).toBe('fd00::5');
    expect((await dns.resolve('shop.tenant.lab', 'CNAME')).answers[0]?.value).toBe('www.tenant.lab.');
    expect((await dns.resolve('tenant.lab', 'TXT')).answers[0]).toMatchObject({ ttl: 60, value: '"owner \\"acme\\""' });
    await dns.removeRecord('tenant.lab', txt.id);
    const gone = await dns.resolve('tenant.lab', 'TXT');
    expect(gone).toMatchObject({ status: 'NOERROR', authoritative: true, answers: [] });
    expect(await dns.resolve('nope.tenant.lab', 'A')).toMatchObject({ status: 'NXDOMAIN', authoritative: true });
  });

  it('keeps zones across a restart', async () => {
    await svc.restart();
    expect((await dns.resolve('www.tenant.lab', 'A')).answers[0]?.value).toBe('10.20.0.5');
  });

  it('fault stale-answers keeps an acknowledged change off the wire until healed', async () => {
    await svc.setFaults({ 'stale-answers': true });
    await dns.addRecord('tenant.lab', { name: 'api', type: 'A', value: '10.20.0.9' });
    expect((await dns.resolve('api.tenant.lab', 'A')).status).toBe('NXDOMAIN');
    await svc.setFaults({});
    await eventually(async () =>
      expect((await dns.resolve('api.tenant.lab', 'A')).answers[0]?.value).toBe('10.20.0.9'),
    );
  });

  it('fault wrong-authority makes the zone answer without authority (SERVFAIL, no AA)', async () => {
    await svc.setFaults({ 'wrong-authority': true });
    await eventually(async () =>
      expect(await dns.resolve('www.tenant.lab', 'A')).toMatchObject({ status: 'SERVFAIL', authoritative: false }),
    );
    await svc.setFaults({});
    await eventually(async () =>
      expect(await dns.resolve('www.tenant.lab', 'A')).toMatchObject({ status: 'NOERROR', authoritative: true }),
    );
  });

  it('rejects a bad record naming the field', async () => {
    await expect(dns.addRecord('tenant.lab', { name: 'x', type: 'A', value: 'fd00::1' })).rejects.toThrow(
      /value: an A record holds an IPv4/,
    );
  });
});
