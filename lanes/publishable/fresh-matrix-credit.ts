import type { Reservation, Wallet } from '../../contracts/ports/creditservice.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';

export const show = (w: Wallet) => `balance ${w.balance}, held ${w.held}, available ${w.available}`;

/**
 * CreditService: a tenant's wallet and quota; an over-quota reservation is rejected; reserve → commit charges the
 * wallet once however often the commit is retried; reserve → release gives the hold back.
 */
export async function proveCreditservice(ctx: LaneContext<Cluster>, tag: string): Promise<string> {
  const credit = ctx.target.ports.creditservice;
  const tenant = `matrix-${tag}`;

  await ctx.step('creditservice: quota, wallet and reservation flows keep balances right', async () => {
    await credit.createWallet(tenant, 100);
    await credit.setQuota(tenant, 'vcpu', 4);
    const wallet = async (expect: { balance: number; held: number }, when: string) => {
      const w = await credit.wallet(tenant);
      ctx.check(
        `${when}: balance ${expect.balance}, held ${expect.held}, available ${expect.balance - expect.held}`,
        w.balance === expect.balance && w.held === expect.held && w.available === expect.balance - expect.held,
        show(w),
      );
    };
    await wallet({ balance: 100, held: 0 }, 'a new wallet');

    const first = await credit.reserve({ tenant, amount: 30, resource: 'vcpu', units: 3, idempotencyKey: `r1-${tag}` });
    ctx.check('a reservation within quota and balance is accepted', first.accepted, JSON.stringify(first));
    const r1 = (first as { reservation: Reservation }).reservation;
    await wallet({ balance: 100, held: 30 }, 'a held reservation');

    const over = await credit.reserve({ tenant, amount: 10, resource: 'vcpu', units: 2 });
    ctx.check('a reservation over the vcpu quota is rejected', !over.accepted, JSON.stringify(over));
    ctx.check('the over-quota rejection is 429', !over.accepted && over.status === 429, JSON.stringify(over));
    const broke = await credit.reserve({ tenant, amount: 500, resource: 'vcpu', units: 1 });
    ctx.check('a reservation beyond the balance is rejected with 402', !broke.accepted && broke.status === 402);
    await wallet({ balance: 100, held: 30 }, 'rejected reservations hold nothing');

    await credit.commit(r1.id);
    await wallet({ balance: 70, held: 0 }, 'a committed reservation');
    const again = await credit.commit(r1.id);
    ctx.check('a repeated commit is idempotent: charged once', again.charges === 1, JSON.stringify(again));
    await wallet({ balance: 70, held: 0 }, 'after the repeated commit');

    const second = await credit.reserve({ tenant, amount: 20, resource: 'vcpu', units: 1 });
    ctx.check('a second reservation is accepted', second.accepted, JSON.stringify(second));
    const r2 = (second as { reservation: Reservation }).reservation;
    await wallet({ balance: 70, held: 20 }, 'the second reservation held');
    const released = await credit.release(r2.id);
    ctx.check('a released reservation reads released', released.status === 'released');
    await wallet({ balance: 70, held: 0 }, 'after the release');
    const quota = await credit.quota(tenant);
    ctx.check(
      'quota usage counts only live reservations',
      quota.used.vcpu === 3 && quota.limits.vcpu === 4,
      JSON.stringify(quota),
    );
    await ctx.artifact('creditservice-wallet.json', { wallet: await credit.wallet(tenant), quota, r1, r2: released });
  });
  return tenant;
}
