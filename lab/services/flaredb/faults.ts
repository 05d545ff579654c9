import type { FaultCatalogue } from '../common/fault-switches.ts';

export const flaredbFaults = {
  'lose-writes-on-restart': {
    breaks: 'an acknowledged write is durable: it survives a service restart or power loss',
  },
  'restore-drops-rows': {
    breaks: 'a logical backup restored into an empty database holds every row the backup holds',
  },
  'accept-destructive-ddl': {
    breaks: 'schema migrations are additive-first: destructive DDL (DROP, RENAME, DROP COLUMN) is refused',
  },
  'restart-noop': {
    breaks:
      "a restart request restarts the service: a new process (another pid or start time) answers afterwards (the lab's node supervisor honours this switch)",
  },
} satisfies FaultCatalogue;
