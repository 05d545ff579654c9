import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Credential } from './iam-state.ts';

/** how much of a secret the planted fault secret-prefix-match compares */
const PREFIX_LENGTH = 20;

/**
 * A fresh principal secret and its stored (salted scrypt) form. With `prefixMatch` (fault secret-prefix-match) the
 * credential also keeps the hash of the secret's first characters, which that fault accepts on its own.
 */
export function newCredential(prefixMatch = false): { secret: string; credential: Credential } {
  const secret = `ucs_${randomBytes(24).toString('base64url')}`;
  const salt = randomBytes(16).toString('hex');
  const credential: Credential = {
    salt,
    hash: hashSecret(secret, salt),
    state: 'current',
    createdAt: new Date().toISOString(),
  };
  if (prefixMatch) credential.prefixHash = hashSecret(secret.slice(0, PREFIX_LENGTH), salt);
  return { secret, credential };
}

/**
 * true when `secret` matches a current or previous (overlapping) credential; with `prefixMatch` (fault
 * secret-prefix-match) a secret whose first characters match is accepted too
 */
export function secretMatches(credentials: Credential[], secret: string, prefixMatch = false): boolean {
  return credentials.some((c) => {
    if (c.state === 'retired') return false;
    if (prefixMatch && c.prefixHash && same(hashSecret(secret.slice(0, PREFIX_LENGTH), c.salt), c.prefixHash))
      return true;
    return same(hashSecret(secret, c.salt), c.hash);
  });
}

function same(hexA: string, hexB: string): boolean {
  const a = Buffer.from(hexA, 'hex');
  const b = Buffer.from(hexB, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

function hashSecret(secret: string, salt: string): string {
  return scryptSync(secret, salt, 32).toString('hex');
}
