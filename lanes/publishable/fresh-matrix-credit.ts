import type { CreditservicePort, Reservation, Wallet } from '../../contracts/ports/creditservice.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';

export const show = (w: Wallet) => `balance ${w.balance}, held ${w.held}, available ${w.available}`;

/**
 * CreditService: a tenant's wallet and quota; an over-quota reservation is rejected, and so is one beyond what the
 * wallet has available (balance minus holds) even when the balance alone would cover it; reserve → commit charges the
 * wallet once however often the commit is retried; reserve → release gives the hold back. Then what it must not
 * do: hold a replayed reservation twice (before or after its commit), take another tenant's idempotency key for a
 * replay, or move the quota boundary by one unit either way.
 */
export async function proveCreditservice(ctx: LaneContext<Cluster>, tag: string): Promise<string> {
  const credit = ctx.target.ports.creditservice;
  const tenant = `matrix-${tag}`;

  await ctx.step('creditservice: quota, wallet and reservation flows keep balances right', async () => {
    await credit.createWallet(tenant, 100);
    await credit.setQuota(tenant, 'vcpu', 5);
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

    const over = await credit.reserve({ tenant, amount: 10, resource: 'vcpu', units: 4 });
    ctx.check('a reservation over the vcpu quota is rejected', !over.accepted, JSON.stringify(over));
    ctx.check('the over-quota rejection is 429', !over.accepted && over.status === 429, JSON.stringify(over));
    const broke = await credit.reserve({ tenant, amount: 500, resource: 'vcpu', units: 1 });
    ctx.check('a reservation beyond the balance is rejected with 402', !broke.accepted && broke.status === 402);
    const unavailable = await credit.reserve({ tenant, amount: 71, resource: 'vcpu', units: 1 });
    ctx.check(
      'a reservation within the balance (71 of 100) but beyond the available 70 (30 held) is rejected with 402',
      !unavailable.accepted && unavailable.status === 402,
      JSON.stringify(unavailable),
    );
    await wallet({ balance: 100, held: 30 }, 'rejected reservations hold nothing');
    const afterRejections = await credit.quota(tenant);
    ctx.check(
      'rejected reservations count nothing against the quota: vcpu used 3',
      afterRejections.used.vcpu === 3,
      JSON.stringify(afterRejections),
    );

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
      quota.used.vcpu === 3 && quota.limits.vcpu === 5,
      JSON.stringify(quota),
    );
    await ctx.artifact('creditservice-wallet.json', { wallet: await credit.wallet(tenant), quota, r1, r2: released });
  });

  await proveReplayNotCountedTwice(ctx, tag);
  await proveQuotaBoundary(ctx, tag);
  return tenant;
}

type Outcome = Awaited<ReturnType<CreditservicePort['reserve']>>;
const idOf = (o: Outcome) => (o.accepted ? o.reservation.id : `refused ${o.status}`);

/**
 * A reservation replayed with its idempotency key holds nothing more, before or after its commit; the same key of
 * another tenant is its own.
 */
async function proveReplayNotCountedTwice(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const credit = ctx.target.ports.creditservice;
  const [a, b] = [`matrix-${tag}-replay-a`, `matrix-${tag}-replay-b`];
  await ctx.step(
    "creditservice: a replayed reservation does not hold its amount twice, and another tenant's same key is not a replay",
    async () => {
      for (const t of [a, b]) {
        await credit.createWallet(t, 100);
        await credit.setQuota(t, 'vcpu', 8);
      }
      const idempotencyKey = `replay-${tag}`;
      const request = { tenant: a, amount: 25, resource: 'vcpu', units: 2, idempotencyKey };
      const first = await credit.reserve(request);
      ctx.check('the first reservation is accepted', first.accepted, JSON.stringify(first));
      const before = { wallet: await credit.wallet(a), quota: await credit.quota(a) };
      const replay = await credit.reserve(request);
      ctx.check(
        'the replay returns the same reservation',
        replay.accepted && first.accepted && replay.reservation.id === first.reservation.id,
        `first ${idOf(first)}, replay ${idOf(replay)}`,
      );
      const after = { wallet: await credit.wallet(a), quota: await credit.quota(a) };
      ctx.check(
        'the replay does not hold the amount again: balance and held unchanged',
        after.wallet.balance === before.wallet.balance && after.wallet.held === before.wallet.held,
        `before ${show(before.wallet)}; after ${show(after.wallet)}`,
      );
      ctx.check(
        'the replay does not count against the quota again',
        after.quota.used.vcpu === before.quota.used.vcpu && after.quota.used.vcpu === 2,
        `vcpu used before ${before.quota.used.vcpu}, after ${after.quota.used.vcpu}`,
      );
      const other = await credit.reserve({ tenant: b, amount: 10, resource: 'vcpu', units: 1, idempotencyKey });
      ctx.check(
        "the same key from another tenant is not a replay of the first tenant's reservation",
        other.accepted &&
          first.accepted &&
          other.reservation.id !== first.reservation.id &&
          other.reservation.tenant === b,
        `first ${idOf(first)} of ${a}; ${b} got ${JSON.stringify(other)}`,
      );
      const walletB = await credit.wallet(b);
      ctx.check('the other tenant holds its own amount', walletB.held === 10, show(walletB));
      const walletA = await credit.wallet(a);
      ctx.check(
        "the other tenant's reservation holds nothing of the first tenant's wallet",
        walletA.held === before.wallet.held,
        show(walletA),
      );
      const held = (first as { reservation: Reservation }).reservation;
      await credit.commit(held.id);
      const committed = { wallet: await credit.wallet(a), quota: await credit.quota(a) };
      const afterCommit = await credit.reserve(request);
      ctx.check(
        'a replay after the commit answers the committed reservation, charged once',
        afterCommit.accepted &&
          afterCommit.reservation.id === held.id &&
          afterCommit.reservation.status === 'committed' &&
          afterCommit.reservation.charges === 1,
        `first ${idOf(first)}; replay after the commit ${JSON.stringify(afterCommit)}`,
      );
      const replayedAfterCommit = { wallet: await credit.wallet(a), quota: await credit.quota(a) };
      ctx.check(
        'the replay after the commit holds and charges nothing: balance and held unchanged',
        replayedAfterCommit.wallet.balance === committed.wallet.balance &&
          replayedAfterCommit.wallet.held === committed.wallet.held &&
          committed.wallet.balance === 75 &&
          committed.wallet.held === 0,
        `after the commit ${show(committed.wallet)}; after the replay ${show(replayedAfterCommit.wallet)}`,
      );
      ctx.check(
        'the replay after the commit is not counted as a second reservation: vcpu used stays 2',
        replayedAfterCommit.quota.used.vcpu === 2,
        `vcpu used after the commit ${committed.quota.used.vcpu}, after the replay ${replayedAfterCommit.quota.used.vcpu}`,
      );
      await ctx.artifact('creditservice-replay.json', { first, replay, other, walletA, walletB, afterCommit });
    },
  );
}

/** The quota boundary on both sides: usage exactly at the limit is admitted, one unit over is not. */
async function proveQuotaBoundary(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const credit = ctx.target.ports.creditservice;
  const tenant = `matrix-${tag}-boundary`;
  await ctx.step(
    'creditservice: a reservation exactly at the quota limit is accepted; one unit over is not',
    async () => {
      await credit.createWallet(tenant, 100);
      await credit.setQuota(tenant, 'vcpu', 4);
      const first = await credit.reserve({ tenant, amount: 10, resource: 'vcpu', units: 3 });
      ctx.check('a reservation below the limit (3 of 4) is accepted', first.accepted, JSON.stringify(first));
      const over = await credit.reserve({ tenant, amount: 10, resource: 'vcpu', units: 2 });
      ctx.check(
        'a reservation one unit over the limit (5 of 4) is rejected with 429',
        !over.accepted && over.status === 429,
        JSON.stringify(over),
      );
      const at = await credit.reserve({ tenant, amount: 10, resource: 'vcpu', units: 1 });
      ctx.check(
        'a reservation that brings usage exactly to the limit (4 of 4) is accepted',
        at.accepted,
        JSON.stringify(at),
      );
      const beyond = await credit.reserve({ tenant, amount: 10, resource: 'vcpu', units: 1 });
      ctx.check(
        'at the limit, a reservation of one more unit (5 of 4) is rejected with 429',
        !beyond.accepted && beyond.status === 429,
        JSON.stringify(beyond),
      );
      const quota = await credit.quota(tenant);
      ctx.check('quota usage stands exactly at the limit', quota.used.vcpu === 4, JSON.stringify(quota));
      const wallet = await credit.wallet(tenant);
      ctx.check('rejected reservations hold nothing: held 20', wallet.held === 20, show(wallet));
      for (const r of [first, at]) if (r.accepted) await credit.release(r.reservation.id);
    },
  );
}
