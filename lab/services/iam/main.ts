import { join } from 'node:path';
import { HttpError, type Request, startHttpService } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';
import { CertificateAuthorities } from './certificate-authority.ts';
import { newCredential, secretMatches } from './credentials.ts';
import { iamFaults } from './faults.ts';
import { demote, emptyIamState, type IamState } from './iam-state.ts';
import { MtlsListener } from './mtls-listener.ts';
import { jwks, newSigningKey, signToken, verifyToken } from './signing-keys.ts';

/**
 * IAM in the reference lab: ES256 tokens (jose) signed by rotating keys, principals with rotating credentials,
 * a one-time admin bootstrap, and an mTLS listener whose CA rotates with overlap. Admin routes need
 * `Authorization: Bearer <token of a principal with role admin>`.
 *   POST /api/v1/bootstrap {principal?}                          once: the first admin and its secret
 *   POST /api/v1/principals {id, roles}                          admin: a principal and its secret
 *   POST /api/v1/principals/:id/credentials/rotate               admin: new secret, the old one still works
 *   POST /api/v1/principals/:id/credentials/retire-previous      admin: the old secret stops working
 *   POST /api/v1/tokens {principal, secret, ttlSeconds?}         a signed token
 *   POST /api/v1/tokens/verify {token}                           {valid, principal, roles, kid} or {valid:false, error}
 *   GET  /.well-known/jwks.json, GET /api/v1/keys
 *   POST /api/v1/keys/rotate, POST /api/v1/keys/:kid/retire       admin
 *   GET  /api/v1/mtls                                            listener address, trusted CAs, CA bundle
 *   POST /api/v1/mtls/ca/rotate, POST /api/v1/mtls/ca/retire-previous, POST /api/v1/mtls/certs {commonName}   admin
 * The mTLS listener is UCP_IAM_MTLS_LISTEN (default: the API host, port + 1) and answers GET /whoami.
 */
let listener: MtlsListener | undefined;
let store: JsonStore<IamState> | undefined;

await startHttpService({
  faults: iamFaults,
  async routes(app, { env, faults }) {
    const state = new JsonStore<IamState>(join(env.stateDir, 'iam.json'), emptyIamState);
    store = state;
    const cas = new CertificateAuthorities(join(env.stateDir, 'mtls'));
    if (!state.get().keys.some((k) => k.state === 'current')) {
      const key = await newSigningKey();
      state.update((s) => void s.keys.push(key));
    }
    if (!state.get().cas.some((c) => c.state === 'current')) {
      const { fingerprint } = await cas.create('ca-1');
      state.update(
        (s) => void s.cas.push({ id: 'ca-1', state: 'current', createdAt: new Date().toISOString(), fingerprint }),
      );
    }
    const [mtlsHost, mtlsPort] = mtlsAddress(env.host, env.port);
    const currentCa = () => state.get().cas.find((c) => c.state === 'current')?.id ?? 'ca-1';
    const material = async () => ({
      ...(await cas.issue(currentCa(), `iam-${env.node}`, [
        `IP:${mtlsHost === '0.0.0.0' ? '127.0.0.1' : mtlsHost}`,
        'IP:127.0.0.1',
        'DNS:localhost',
        `DNS:${env.node}`,
      ])),
      // fault old-ca-trusted-after-retire: the listener keeps trusting every CA it ever had
      trustedCaPems: (faults.on('old-ca-trusted-after-retire') ? state.get().cas : trusted()).map((c) =>
        cas.certPem(c.id),
      ),
    });
    const trusted = () => state.get().cas.filter((c) => c.state !== 'retired');
    listener = new MtlsListener(await material());
    await listener.listen(mtlsHost, mtlsPort);

    const currentKey = () => {
      const key = state.get().keys.find((k) => k.state === 'current');
      if (!key) throw new HttpError(500, 'no current signing key');
      return key;
    };
    // fault retired-key-still-accepted: verification also trusts retired keys (the JWKS still leaves them out)
    const verifyingKeys = () =>
      faults.on('retired-key-still-accepted')
        ? state.get().keys.map((k) => (k.state === 'retired' ? { ...k, state: 'previous' as const } : k))
        : state.get().keys;
    const verify = (token: string) => verifyToken(verifyingKeys(), token, faults.on('accept-expired-tokens'));
    const requireAdmin = async (req: Request) => {
      const header = String(req.headers.authorization ?? '');
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (!token) throw new HttpError(401, 'admin route: Authorization: Bearer <token> is required');
      const v = await verify(token);
      if (!v.valid) throw new HttpError(401, `admin route: token rejected (${v.error})`);
      if (!v.roles.includes('admin') && !faults.on('non-admin-admitted'))
        throw new HttpError(403, `admin route: principal "${v.principal}" is not an admin`);
    };
    const principal = (id: string) => {
      const p = state.get().principals[id];
      if (!p) throw new HttpError(404, `no principal "${id}"`);
      return p;
    };

    app.post('/api/v1/bootstrap', (req) => {
      const done = state.get().bootstrappedAt;
      if (done && !faults.on('bootstrap-twice')) throw new HttpError(409, `bootstrap already done at ${done}`);
      const id = String((req.body as { principal?: unknown })?.principal ?? 'admin');
      const { secret, credential } = newCredential(faults.on('secret-prefix-match'));
      state.update((s) => {
        s.bootstrappedAt = new Date().toISOString();
        s.principals[id] = { id, roles: ['admin'], credentials: [credential] };
      });
      return { principal: id, secret };
    });
    app.post('/api/v1/principals', async (req) => {
      await requireAdmin(req);
      const body = req.body as { id?: unknown; roles?: unknown };
      if (typeof body?.id !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(body.id)) {
        throw new HttpError(400, 'id must be a lower-case principal name');
      }
      if (state.get().principals[body.id]) throw new HttpError(409, `principal "${body.id}" exists`);
      const roles = Array.isArray(body.roles) ? body.roles.map(String) : [];
      const { secret, credential } = newCredential(faults.on('secret-prefix-match'));
      const id = body.id;
      state.update((s) => {
        s.principals[id] = { id, roles, credentials: [credential] };
      });
      return { id, roles, secret };
    });
    app.post('/api/v1/principals/:id/credentials/rotate', async (req) => {
      await requireAdmin(req);
      const id = principal(req.params.id ?? '').id;
      const { secret, credential } = newCredential(faults.on('secret-prefix-match'));
      state.update((s) => {
        const p = s.principals[id];
        if (!p) return;
        demote(p.credentials, true);
        p.credentials = [...p.credentials.filter((c) => c.state !== 'retired'), credential];
      });
      return { id, secret };
    });
    app.post('/api/v1/principals/:id/credentials/retire-previous', async (req) => {
      await requireAdmin(req);
      const id = principal(req.params.id ?? '').id;
      state.update((s) => {
        const p = s.principals[id];
        if (p && !faults.on('retired-credential-still-accepted'))
          p.credentials = p.credentials.filter((c) => c.state === 'current');
      });
      return { id, credentials: principal(id).credentials.length };
    });

    app.post('/api/v1/tokens', async (req) => {
      const body = req.body as { principal?: unknown; secret?: unknown; ttlSeconds?: unknown };
      const p = state.get().principals[String(body?.principal ?? '')];
      if (
        !p ||
        typeof body.secret !== 'string' ||
        !secretMatches(p.credentials, body.secret, faults.on('secret-prefix-match'))
      ) {
        throw new HttpError(401, 'invalid principal or secret');
      }
      const ttl = body.ttlSeconds === undefined ? 900 : Number(body.ttlSeconds);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) throw new HttpError(400, 'ttlSeconds must be 1..86400');
      return signToken(currentKey(), p.id, p.roles, ttl);
    });
    app.post('/api/v1/tokens/verify', (req) => {
      const token = (req.body as { token?: unknown })?.token;
      if (typeof token !== 'string') throw new HttpError(400, 'token (a string) is required');
      return verify(token);
    });
    app.get('/.well-known/jwks.json', () => jwks(state.get().keys));
    app.get('/api/v1/keys', () => ({
      keys: state.get().keys.map((k) => ({ kid: k.kid, state: k.state, createdAt: k.createdAt })),
    }));
    app.post('/api/v1/keys/rotate', async (req) => {
      await requireAdmin(req);
      const key = await newSigningKey();
      state.update((s) => {
        demote(s.keys, !faults.on('rotation-drops-old-key'));
        s.keys.push(key);
      });
      return {
        current: key.kid,
        previous: state
          .get()
          .keys.filter((k) => k.state === 'previous')
          .map((k) => k.kid),
      };
    });
    app.post('/api/v1/keys/:kid/retire', async (req) => {
      await requireAdmin(req);
      const kid = req.params.kid ?? '';
      const key = state.get().keys.find((k) => k.kid === kid);
      if (!key) throw new HttpError(404, `no signing key "${kid}"`);
      if (key.state === 'current') throw new HttpError(409, `key "${kid}" is the current signing key; rotate first`);
      state.update((s) => {
        for (const k of s.keys) if (k.kid === kid) k.state = 'retired';
      });
      return { kid, state: 'retired' };
    });

    const mtlsView = () => ({
      listen: { host: mtlsHost, port: mtlsPort },
      cas: state.get().cas.map(({ id, state: s, fingerprint }) => ({ id, state: s, fingerprint })),
      caBundlePem: trusted()
        .map((c) => cas.certPem(c.id))
        .join(''),
    });
    app.get('/api/v1/mtls', mtlsView);
    app.post('/api/v1/mtls/ca/rotate', async (req) => {
      await requireAdmin(req);
      const id = `ca-${state.get().cas.length + 1}`;
      const { fingerprint } = await cas.create(id);
      state.update((s) => {
        demote(s.cas, !faults.on('mtls-drops-previous-ca'));
        s.cas.push({ id, state: 'current', createdAt: new Date().toISOString(), fingerprint });
      });
      listener?.update(await material());
      return mtlsView();
    });
    app.post('/api/v1/mtls/ca/retire-previous', async (req) => {
      await requireAdmin(req);
      state.update((s) => {
        for (const c of s.cas) if (c.state === 'previous') c.state = 'retired';
      });
      listener?.update(await material());
      return mtlsView();
    });
    app.post('/api/v1/mtls/certs', async (req) => {
      await requireAdmin(req);
      const cn = (req.body as { commonName?: unknown })?.commonName;
      if (typeof cn !== 'string') throw new HttpError(400, 'commonName (a string) is required');
      try {
        return { ...(await cas.issue(currentCa(), cn, [])), issuer: currentCa(), caBundlePem: mtlsView().caBundlePem };
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
    });
  },
  health: () => ({
    bootstrapped: Boolean(store?.get().bootstrappedAt),
    signingKey: store?.get().keys.find((k) => k.state === 'current')?.kid ?? null,
  }),
  onShutdown: () => listener?.close(),
});

function mtlsAddress(host: string, port: number): [string, number] {
  const configured = process.env.UCP_IAM_MTLS_LISTEN;
  if (!configured) return [host, port + 1];
  const m = /^([^:\s]+):(\d{1,5})$/.exec(configured);
  if (!m) throw new Error(`invalid lab service environment: UCP_IAM_MTLS_LISTEN "${configured}" is not host:port`);
  return [m[1] as string, Number(m[2])];
}
