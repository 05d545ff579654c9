import type { FaultCatalogue } from '../common/fault-switches.ts';

export const nightlightFaults = {
  'wal-not-fsynced': {
    breaks: 'an acknowledged sample survives power loss (it is in the fsynced WAL before the ingest answers)',
  },
  'wal-not-replayed': {
    breaks: 'a sample acknowledged after the last snapshot survives a restart (the WAL is replayed at start)',
  },
  'restart-noop': {
    breaks:
      "a restart request restarts the service: a new process (another pid or start time) answers afterwards (the lab's node supervisor honours this switch)",
  },
} satisfies FaultCatalogue;
