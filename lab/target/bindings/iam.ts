import { request } from 'node:https';
import { callJson } from '../../../helpers/http.ts';
import { registerSecret } from '../../../helpers/redact.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

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

export function createIamPort(binding: PortBinding, node?: string): IamPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const base = () => instanceUrl(binding, 'iam', node);
  const url = (path: string) => `${base()}/api/v1${path}`;
  const admin = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const port: IamPort = {
    at: (n) => createIamPort(binding, n),
    async bootstrap(principal) {
      const out = await callJson<{ principal: string; secret: string }>('POST', url('/bootstrap'), {
        body: principal ? { principal } : {},
      });
      registerSecret(out.secret);
      return out;
    },
    async createPrincipal(adminToken, id, roles = []) {
      const out = await callJson<{ id: string; secret: string }>('POST', url('/principals'), {
        body: { id, roles },
        ...admin(adminToken),
      });
      registerSecret(out.secret);
      return out;
    },
    async rotateCredential(adminToken, id) {
      const out = await callJson<{ id: string; secret: string }>(
        'POST',
        url(`/principals/${encodeURIComponent(id)}/credentials/rotate`),
        admin(adminToken),
      );
      registerSecret(out.secret);
      return out;
    },
    async retirePreviousCredential(adminToken, id) {
      await callJson(
        'POST',
        url(`/principals/${encodeURIComponent(id)}/credentials/retire-previous`),
        admin(adminToken),
      );
    },
    async issueToken(principal, secret, ttlSeconds) {
      const out = await callJson<IssuedToken>('POST', url('/tokens'), { body: { principal, secret, ttlSeconds } });
      registerSecret(out.token);
      return out;
    },
    verifyToken: (token) => callJson('POST', url('/tokens/verify'), { body: { token } }),
    jwks: () => callJson('GET', `${base()}/.well-known/jwks.json`),
    keys: async () => (await callJson<{ keys: Array<{ kid: string; state: string }> }>('GET', url('/keys'))).keys,
    rotateSigningKey: (adminToken) => callJson('POST', url('/keys/rotate'), admin(adminToken)),
    async retireSigningKey(adminToken, kid) {
      await callJson('POST', url(`/keys/${encodeURIComponent(kid)}/retire`), admin(adminToken));
    },
    mtls: () => callJson('GET', url('/mtls')),
    rotateCa: (adminToken) => callJson('POST', url('/mtls/ca/rotate'), { ...admin(adminToken), timeoutMs: 30_000 }),
    retirePreviousCa: (adminToken) =>
      callJson('POST', url('/mtls/ca/retire-previous'), { ...admin(adminToken), timeoutMs: 30_000 }),
    async issueClientCertificate(adminToken, commonName) {
      const out = await callJson<ClientCertificate>('POST', url('/mtls/certs'), {
        body: { commonName },
        ...admin(adminToken),
        timeoutMs: 30_000,
      });
      registerSecret(out.keyPem);
      return out;
    },
    async mtlsWhoami(client, caBundlePem) {
      const info = await port.mtls();
      const host = new URL(base()).hostname;
      return httpsGetJson(host, info.listen.port, '/whoami', {
        cert: client.certPem,
        key: client.keyPem,
        ca: caBundlePem,
      });
    },
  };
  return port;
}

function httpsGetJson<T>(host: string, port: number, path: string, tls: { cert: string; key: string; ca: string }) {
  return new Promise<T>((resolve, reject) => {
    const req = request(
      { host, port, path, method: 'GET', agent: false, servername: 'localhost', timeout: 10_000, ...tls },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200)
            reject(new Error(`mTLS GET ${path} on ${host}:${port} answered ${res.statusCode}: ${text}`));
          else resolve(JSON.parse(text) as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`mTLS GET ${path} on ${host}:${port}: no answer after 10000ms`)));
    req.on('error', (err) => reject(new Error(`mTLS GET ${path} on ${host}:${port} refused: ${err.message}`)));
    req.end();
  });
}

function unbound(binding: PortBinding): IamPort {
  const no = (op: string) => () => bindingRequired(binding, 'iam', op);
  return {
    at: () => unbound(binding),
    bootstrap: no('bootstrap'),
    createPrincipal: no('createPrincipal'),
    rotateCredential: no('rotateCredential'),
    retirePreviousCredential: no('retirePreviousCredential'),
    issueToken: no('issueToken'),
    verifyToken: no('verifyToken'),
    jwks: no('jwks'),
    keys: no('keys'),
    rotateSigningKey: no('rotateSigningKey'),
    retireSigningKey: no('retireSigningKey'),
    mtls: no('mtls'),
    rotateCa: no('rotateCa'),
    retirePreviousCa: no('retirePreviousCa'),
    issueClientCertificate: no('issueClientCertificate'),
    mtlsWhoami: no('mtlsWhoami'),
  };
}
