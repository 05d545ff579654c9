import type { FaultCatalogue } from '../common/fault-switches.ts';

export const lightningstorFaults = {
  'lose-object-version': {
    breaks: 'every object version stays readable by its version id and listed until it is deleted',
  },
  'metadata-not-persisted': {
    breaks: 'an acknowledged bucket metadata update survives a service restart',
  },
} satisfies FaultCatalogue;
