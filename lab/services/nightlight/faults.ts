import type { FaultCatalogue } from '../common/fault-switches.ts';

export const nightlightFaults = {
  'wal-not-fsynced': {
    breaks: 'an acknowledged sample survives power loss (it is in the fsynced WAL before the ingest answers)',
  },
} satisfies FaultCatalogue;
