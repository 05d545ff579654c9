import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Wallet as PortWallet, Reservation } from '../../../contracts/ports/creditservice.ts';
import { HttpError } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';

// Reservations are the published API shape (contracts/ports/creditservice.ts); a stored wallet has no derived
// `available` figure.
export type { Reservation } from '../../../contracts/ports/creditservice.ts';
export type Wallet = Omit<PortWallet, 'available'>;

interface State {
  wallets: Record<string, Wallet>;
  quotas: Record<string, Record<string, number>>;
  reservations: Record<string, Reservation>;
}

export interface ReserveRequest {
  tenant: string;
  amount: number;
  resource: string;
  units: number;
  idempotencyKey?: string;
}

/** Planted faults the reservation path honours (each off unless its switch is on). */
export interface ReserveFaults {
  /** a replay returns the earlier reservation but holds its amount again */
  replayHoldsAgain?: boolean;
  /** an idempotency key matches another tenant's reservation */
  keyGlobal?: boolean;
  /** usage one unit over the limit is admitted */
  oneOver?: boolean;
  /** usage exactly at the limit is refused */
  limitExclusive?: boolean;
}

/** Wallets, per-tenant quotas and reservations (hold, commit, release) in one durable document. */
export class Ledger {
  private readonly store: JsonStore<State>;

  constructor(stateDir: string) {
    this.store = new JsonStore<State>(join(stateDir, 'ledger.json'), () => ({
      wallets: {},
      quotas: {},
      reservations: {},
    }));
  }

  wallet(tenant: string): Wallet {
    const wallet = this.store.get().wallets[tenant];
    if (!wallet) throw new HttpError(404, `no wallet for tenant "${tenant}"`);
    return wallet;
  }

  createWallet(tenant: string, balance: number): Wallet {
    if (this.store.get().wallets[tenant]) throw new HttpError(409, `tenant "${tenant}" already has a wallet`);
    return this.store.update((s) => {
      s.wallets[tenant] = { tenant, balance, held: 0 };
    }).wallets[tenant] as Wallet;
  }

  setQuota(tenant: string, resource: string, limit: number): void {
    this.store.update((s) => {
      s.quotas[tenant] = { ...s.quotas[tenant], [resource]: limit };
    });
  }

  quota(tenant: string): { limits: Record<string, number>; used: Record<string, number> } {
    const used: Record<string, number> = {};
    for (const r of Object.values(this.store.get().reservations)) {
      if (r.tenant === tenant && r.status !== 'released') used[r.resource] = (used[r.resource] ?? 0) + r.units;
    }
    return { limits: this.store.get().quotas[tenant] ?? {}, used };
  }

  reservation(id: string): Reservation {
    const r = this.store.get().reservations[id];
    if (!r) throw new HttpError(404, `no reservation "${id}"`);
    return r;
  }

  reserve(req: ReserveRequest, enforceQuota: boolean, faults: ReserveFaults = {}): Reservation {
    const earlier = Object.values(this.store.get().reservations).find(
      (r) =>
        req.idempotencyKey && (r.tenant === req.tenant || faults.keyGlobal) && r.idempotencyKey === req.idempotencyKey,
    );
    if (earlier) {
      if (!faults.replayHoldsAgain) return earlier;
      return this.store.update((s) => {
        (s.wallets[earlier.tenant] as Wallet).held += earlier.amount;
      }).reservations[earlier.id] as Reservation;
    }
    const wallet = this.wallet(req.tenant);
    if (wallet.balance - wallet.held < req.amount) {
      throw new HttpError(
        402,
        `tenant "${req.tenant}" has ${wallet.balance - wallet.held} available, asked ${req.amount}`,
      );
    }
    const limit = this.store.get().quotas[req.tenant]?.[req.resource];
    const used = this.quota(req.tenant).used[req.resource] ?? 0;
    const over = (units: number) =>
      faults.limitExclusive ? units >= (limit as number) : units > (limit as number) + (faults.oneOver ? 1 : 0);
    if (enforceQuota && limit !== undefined && over(used + req.units)) {
      throw new HttpError(
        429,
        `quota for ${req.resource} of "${req.tenant}" is ${limit}, ${used} used, asked ${req.units}`,
      );
    }
    const reservation: Reservation = { id: randomUUID(), ...req, status: 'held', charges: 0 };
    return this.store.update((s) => {
      s.reservations[reservation.id] = reservation;
      (s.wallets[req.tenant] as Wallet).held += req.amount;
    }).reservations[reservation.id] as Reservation;
  }

  /** charge a held reservation; a repeated commit is a no-op unless chargeAgain */
  commit(id: string, chargeAgain: boolean): Reservation {
    const r = this.reservation(id);
    if (r.status === 'released') throw new HttpError(409, `reservation "${id}" was released`);
    if (r.status === 'committed' && !chargeAgain) return r;
    return this.store.update((s) => {
      const res = s.reservations[id] as Reservation;
      const wallet = s.wallets[res.tenant] as Wallet;
      if (res.status === 'held') wallet.held -= res.amount;
      wallet.balance -= res.amount;
      res.status = 'committed';
      res.charges += 1;
    }).reservations[id] as Reservation;
  }

  release(id: string): Reservation {
    const r = this.reservation(id);
    if (r.status === 'committed') throw new HttpError(409, `reservation "${id}" is already committed`);
    if (r.status === 'released') return r;
    return this.store.update((s) => {
      const res = s.reservations[id] as Reservation;
      (s.wallets[res.tenant] as Wallet).held -= res.amount;
      res.status = 'released';
    }).reservations[id] as Reservation;
  }
}
