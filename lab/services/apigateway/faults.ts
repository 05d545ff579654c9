import type { FaultCatalogue } from '../common/fault-switches.ts';

export const apigatewayFaults = {
  'route-to-wrong-backend': {
    breaks: 'a request is proxied to the backend its path prefix is routed to',
  },
  'skip-auth': {
    breaks: 'a request without a valid API key is refused with 401 before it reaches a backend',
  },
} satisfies FaultCatalogue;
