import { callJson, HttpCallError } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

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

export function createCreditservicePort(binding: PortBinding, node?: string): CreditservicePort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (path: string) => `${instanceUrl(binding, 'creditservice', node)}/v1${path}`;
  const enc = encodeURIComponent;
  return {
    at: (n) => createCreditservicePort(binding, n),
    createWallet: (tenant, balance) => callJson('POST', url('/wallets'), { body: { tenant, balance } }),
    wallet: (tenant) => callJson('GET', url(`/wallets/${enc(tenant)}`)),
    setQuota: (tenant, resource, limit) =>
      callJson('PUT', url(`/quotas/${enc(tenant)}`), { body: { resource, limit } }),
    quota: (tenant) => callJson('GET', url(`/quotas/${enc(tenant)}`)),
    async reserve(request) {
      try {
        return {
          accepted: true,
          reservation: await callJson<Reservation>('POST', url('/reservations'), { body: request }),
        };
      } catch (err) {
        if (err instanceof HttpCallError && (err.status === 402 || err.status === 429)) {
          return { accepted: false, status: err.status, reason: err.message };
        }
        throw err;
      }
    },
    reservation: (id) => callJson('GET', url(`/reservations/${enc(id)}`)),
    commit: (id) => callJson('POST', url(`/reservations/${enc(id)}/commit`)),
    release: (id) => callJson('POST', url(`/reservations/${enc(id)}/release`)),
  };
}

function unbound(binding: PortBinding): CreditservicePort {
  const missing = (operation: string) => () => bindingRequired(binding, 'creditservice', operation);
  return {
    at: () => unbound(binding),
    createWallet: missing('createWallet'),
    wallet: missing('wallet'),
    setQuota: missing('setQuota'),
    quota: missing('quota'),
    reserve: missing('reserve'),
    reservation: missing('reservation'),
    commit: missing('commit'),
    release: missing('release'),
  };
}
