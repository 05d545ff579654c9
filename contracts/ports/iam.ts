export type TokenVerification =
  | { valid: true; principal: string; roles: string[]; kid: string; expiresAt: string }
  | { valid: false; error: string };

export interface IssuedToken {
  token: string;
  kid: string;
  expiresAt: string;
}

export interface MtlsInfo {
  listen: { host: string; port: number };
  cas: Array<{ id: string; state: 'current' | 'previous' | 'retired'; fingerprint: string }>;
  /** PEM of every CA still trusted (current and previous) */
  caBundlePem: string;
}

export interface ClientCertificate {
  certPem: string;
  keyPem: string;
  issuer: string;
  caBundlePem: string;
}

/**
 * IAM: one-time admin bootstrap, principals with rotating credentials, signed tokens with rotating keys (JWKS),
 * and an mTLS listener whose CA rotates with overlap. Secrets and tokens it hands out are registered for
 * redaction. Admin operations take an admin token.
 */
export interface IamPort {
  at(node: string): IamPort;
  bootstrap(principal?: string): Promise<{ principal: string; secret: string }>;
  createPrincipal(adminToken: string, id: string, roles?: string[]): Promise<{ id: string; secret: string }>;
  rotateCredential(adminToken: string, id: string): Promise<{ id: string; secret: string }>;
  retirePreviousCredential(adminToken: string, id: string): Promise<void>;
  issueToken(principal: string, secret: string, ttlSeconds?: number): Promise<IssuedToken>;
  verifyToken(token: string): Promise<TokenVerification>;
  jwks(): Promise<{ keys: Array<{ kid?: string }> }>;
  keys(): Promise<Array<{ kid: string; state: string }>>;
  rotateSigningKey(adminToken: string): Promise<{ current: string; previous: string[] }>;
  retireSigningKey(adminToken: string, kid: string): Promise<void>;
  mtls(): Promise<MtlsInfo>;
  rotateCa(adminToken: string): Promise<MtlsInfo>;
  retirePreviousCa(adminToken: string): Promise<MtlsInfo>;
  issueClientCertificate(adminToken: string, commonName: string): Promise<ClientCertificate>;
  /** an mTLS request with the given client certificate; rejects when the listener refuses it */
  mtlsWhoami(
    client: { certPem: string; keyPem: string },
    caBundlePem: string,
  ): Promise<{ subject: string; issuer: string }>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const iamOperations = [
  'at',
  'bootstrap',
  'createPrincipal',
  'rotateCredential',
  'retirePreviousCredential',
  'issueToken',
  'verifyToken',
  'jwks',
  'keys',
  'rotateSigningKey',
  'retireSigningKey',
  'mtls',
  'rotateCa',
  'retirePreviousCa',
  'issueClientCertificate',
  'mtlsWhoami',
] as const satisfies readonly (keyof IamPort)[];
