import type { FaultCatalogue } from '../common/fault-switches.ts';

export const coronafsFaults = {
  'lose-writes-on-restart': {
    breaks: 'an acknowledged volume write survives a restart of the service (it reached disk before the answer)',
  },
} satisfies FaultCatalogue;
