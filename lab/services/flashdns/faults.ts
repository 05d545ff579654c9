import type { FaultCatalogue } from '../common/fault-switches.ts';

export const flashdnsFaults = {
  'stale-answers': {
    breaks: 'an acknowledged record change is answered on the wire (the served SOA serial follows the API)',
  },
  'wrong-authority': {
    breaks: 'queries for a hosted zone get authoritative answers (AA flag set, NOERROR/NXDOMAIN, never SERVFAIL)',
  },
} satisfies FaultCatalogue;
