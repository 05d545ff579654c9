import type { FaultCatalogue } from '../common/fault-switches.ts';

export const fiberlbFaults = {
  'wrong-certificate': {
    breaks: "a TLS listener presents the certificate uploaded for it (its subject names the listener's host)",
  },
  'drain-ignored': {
    breaks: 'a drained backend receives no new connections until it is restored',
  },
  'terminated-https-as-https': {
    breaks:
      'a TerminatedHttps listener hands the backend the decrypted request as the client sent it (no L7 rewriting: no X-Forwarded-* headers added)',
  },
  'health-check-blind': {
    breaks: 'a backend failing its health check (TCP reachability or HTTP status) leaves the rotation',
  },
} satisfies FaultCatalogue;
