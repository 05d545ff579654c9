import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { SigningKey } from './iam-state.ts';

export const issuer = 'ultracloud-iam';
const alg = 'ES256';

export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `k-${randomUUID().slice(0, 8)}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    kid,
    state: 'current',
    createdAt: new Date().toISOString(),
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk,
  };
}

/** the JWKS: every key that still verifies (current and previous) */
export function jwks(keys: SigningKey[]): JSONWebKeySet {
  return { keys: keys.filter((k) => k.state !== 'retired').map((k) => k.publicJwk) };
}

export async function signToken(key: SigningKey, subject: string, roles: string[], ttlSeconds: number) {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ roles })
    .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(subject)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .setJti(randomUUID())
    .sign(await importJWK(key.privateJwk, alg));
  return { token, kid: key.kid, expiresAt: new Date((now + ttlSeconds) * 1000).toISOString() };
}

export type Verification =
  | { valid: true; principal: string; roles: string[]; kid: string; expiresAt: string }
  | { valid: false; error: string };

/** verify against the JWKS; `ignoreExpiry` is the accept-expired-tokens fault */
export async function verifyToken(keys: SigningKey[], token: string, ignoreExpiry: boolean): Promise<Verification> {
  try {
    const { payload, protectedHeader } = await jwtVerify<JWTPayload & { roles?: string[] }>(
      token,
      createLocalJWKSet(jwks(keys)),
      { issuer, algorithms: [alg], ...(ignoreExpiry ? { clockTolerance: 10 * 365 * 86_400 } : {}) },
    );
    return {
      valid: true,
      principal: payload.sub ?? '',
      roles: payload.roles ?? [],
      kid: protectedHeader.kid ?? '',
      expiresAt: new Date((payload.exp ?? 0) * 1000).toISOString(),
    };
  } catch (err) {
    return { valid: false, error: (err as Error).message };
  }
}
