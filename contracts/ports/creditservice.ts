export interface Wallet {
  tenant: string;
  balance: number;
  held: number;
  available: number;
}

export interface Reservation {
  id: string;
  tenant: string;
  amount: number;
  resource: string;
  units: number;
  status: 'held' | 'committed' | 'released';
  idempotencyKey?: string;
  /** how many times the wallet was charged for it */
  charges: number;
}

export interface ReserveRequest {
  tenant: string;
  amount: number;
  resource?: string;
  units?: number;
  idempotencyKey?: string;
}

/** A reservation either holds credits or is refused (402 insufficient credits, 429 over quota). */
export type ReserveOutcome =
  | { accepted: true; reservation: Reservation }
  | { accepted: false; status: number; reason: string };

export interface Quota {
  limits: Record<string, number>;
  used: Record<string, number>;
}

/** CreditService: wallets, quotas and reservations (hold, commit, release). */
export interface CreditservicePort {
  at(node: string): CreditservicePort;
  createWallet(tenant: string, balance: number): Promise<Wallet>;
  wallet(tenant: string): Promise<Wallet>;
  setQuota(tenant: string, resource: string, limit: number): Promise<Quota>;
  quota(tenant: string): Promise<Quota>;
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  reservation(id: string): Promise<Reservation>;
  commit(id: string): Promise<Reservation>;
  release(id: string): Promise<Reservation>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const creditserviceOperations = [
  'at',
  'createWallet',
  'wallet',
  'setQuota',
  'quota',
  'reserve',
  'reservation',
  'commit',
  'release',
] as const satisfies readonly (keyof CreditservicePort)[];
