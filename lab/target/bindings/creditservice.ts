import type { CreditservicePort, Reservation } from '../../../contracts/ports/creditservice.ts';
import { callJson, HttpCallError } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createCreditservicePort(binding: PortBinding, node?: string): CreditservicePort {
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
