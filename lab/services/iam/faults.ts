import type { FaultCatalogue } from '../common/fault-switches.ts';

export const iamFaults = {
  'accept-expired-tokens': {
    breaks: 'an expired token no longer verifies',
  },
  'rotation-drops-old-key': {
    breaks: 'signing-key rotation overlaps: tokens signed by the previous key verify until that key is retired',
  },
  'bootstrap-twice': {
    breaks: 'the initial admin bootstrap works exactly once',
  },
  'retired-key-still-accepted': {
    breaks: 'a token signed by a retired signing key no longer verifies',
  },
  'mtls-drops-previous-ca': {
    breaks: 'mTLS CA rotation overlaps: client certificates from the previous CA are accepted until it is retired',
  },
  'old-ca-trusted-after-retire': {
    breaks: 'once the previous mTLS CA is retired, the listener refuses client certificates it issued',
  },
  'retired-credential-still-accepted': {
    breaks: "once a principal's previous credential is retired, its old secret gets no token",
  },
  'secret-prefix-match': {
    breaks:
      "a principal's secret is accepted only when it matches in full: one character changed, a truncated secret or an appended suffix is refused",
  },
  'non-admin-admitted': {
    breaks: 'an admin route refuses a valid token of a principal without the admin role (403)',
  },
} satisfies FaultCatalogue;
