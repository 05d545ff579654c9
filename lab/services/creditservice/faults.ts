import type { FaultCatalogue } from '../common/fault-switches.ts';

export const creditserviceFaults = {
  'double-spend': {
    breaks: 'a reservation is charged at most once, however often its commit is retried',
  },
  'quota-not-enforced': {
    breaks: 'a reservation that would take a tenant over its quota is rejected',
  },
} satisfies FaultCatalogue;
