import type { JWK } from 'jose';

export type Overlap = 'current' | 'previous' | 'retired';

export interface SigningKey {
  kid: string;
  state: Overlap;
  createdAt: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface Credential {
  salt: string;
  hash: string;
  /** only while fault secret-prefix-match is on: the hash of the secret's first PREFIX_LENGTH characters */
  prefixHash?: string;
  state: Overlap;
  createdAt: string;
}

export interface Principal {
  id: string;
  roles: string[];
  credentials: Credential[];
}

export interface CertificateAuthority {
  id: string;
  state: Overlap;
  createdAt: string;
  fingerprint: string;
}

/** IAM's durable state (JsonStore in the state dir); CA key material lives beside it under mtls/. */
export interface IamState {
  bootstrappedAt: string | null;
  keys: SigningKey[];
  principals: Record<string, Principal>;
  cas: CertificateAuthority[];
}

export const emptyIamState = (): IamState => ({ bootstrappedAt: null, keys: [], principals: {}, cas: [] });

/** mark the current entry previous (or retired when `overlap` is false) and retire older previous ones */
export function demote<T extends { state: Overlap }>(items: T[], overlap: boolean): void {
  for (const item of items) {
    if (item.state === 'previous') item.state = 'retired';
    else if (item.state === 'current') item.state = overlap ? 'previous' : 'retired';
  }
}
