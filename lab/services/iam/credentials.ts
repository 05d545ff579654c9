import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Credential } from './iam-state.ts';

/** A fresh principal secret and its stored (salted scrypt) form. */
export function newCredential(): { secret: string; credential: Credential } {
  const secret = `ucs_${randomBytes(24).toString('base64url')}`;
  const salt = randomBytes(16).toString('hex');
  return {
    secret,
    credential: { salt, hash: hashSecret(secret, salt), state: 'current', createdAt: new Date().toISOString() },
  };
}

/** true when `secret` matches a current or previous (overlapping) credential */
export function secretMatches(credentials: Credential[], secret: string): boolean {
  return credentials.some((c) => {
    if (c.state === 'retired') return false;
    const a = Buffer.from(hashSecret(secret, c.salt), 'hex');
    const b = Buffer.from(c.hash, 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
  });
}

function hashSecret(secret: string, salt: string): string {
  return scryptSync(secret, salt, 32).toString('hex');
}
