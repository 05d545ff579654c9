import { request } from 'node:https';
import type { ClientCertificate, IamPort, IssuedToken } from '../../../contracts/ports/iam.ts';
import { callJson } from '../../../helpers/http.ts';
import { registerSecret } from '../../../helpers/redact.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createIamPort(binding: PortBinding, node?: string): IamPort {
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
