import type { FaultCatalogue } from '../common/fault-switches.ts';

export const fiberlbFaults = {
  'wrong-certificate': {
    breaks: "a TLS listener presents the certificate uploaded for it (its subject names the listener's host)",
  },
  'drain-ignored': {
    breaks: 'a drained backend receives no new connections until it is restored',
  },
  'health-check-blind': {
    breaks: 'a backend failing its health check (TCP reachability or HTTP status) leaves the rotation',
  },
} satisfies FaultCatalogue;
