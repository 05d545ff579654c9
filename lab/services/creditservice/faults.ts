import type { FaultCatalogue } from '../common/fault-switches.ts';

export const creditserviceFaults = {
  'double-spend': {
    breaks: 'a reservation is charged at most once, however often its commit is retried',
  },
  'quota-not-enforced': {
    breaks: 'a reservation that would take a tenant over its quota is rejected',
  },
  'idempotency-replay-doubles': {
    breaks: 'a replayed reservation (same tenant, same idempotency key) returns the earlier one and holds nothing more',
  },
  'idempotency-key-global': {
    breaks:
      "an idempotency key is scoped to its tenant: another tenant's request with the same key is a new reservation",
  },
  'quota-admits-one-over': {
    breaks: 'a reservation one unit over the quota limit is rejected',
  },
  'quota-rejects-at-limit': {
    breaks: 'a reservation that brings usage exactly to the quota limit is accepted',
  },
} satisfies FaultCatalogue;
