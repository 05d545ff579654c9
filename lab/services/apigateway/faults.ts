import type { FaultCatalogue } from '../common/fault-switches.ts';

export const apigatewayFaults = {
  'route-to-wrong-backend': {
    breaks: 'a request is proxied to the backend its path prefix is routed to',
  },
  'skip-auth': {
    breaks: 'a request without a valid API key is refused with 401 before it reaches a backend',
  },
  'restart-noop': {
    breaks:
      "a restart request restarts the service: a new process (another pid or start time) answers afterwards (the lab's node supervisor honours this switch)",
  },
} satisfies FaultCatalogue;
