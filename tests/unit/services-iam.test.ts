import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IamPort } from '../../contracts/ports/iam.ts';
import { redact } from '../../helpers/redact.ts';
import { sleep } from '../../helpers/retry.ts';
import { createIamPort } from '../../lab/target/bindings/iam.ts';
import { freePort, LabServiceProcess } from './support/lab-service-process.ts';

describe('iam lab service', () => {
  let svc: LabServiceProcess;
  let iam: IamPort;
  let adminToken: string;
  let admin: { principal: string; secret: string };

  beforeAll(async () => {
    svc = await LabServiceProcess.start({
      service: 'iam',
      env: { UCP_IAM_MTLS_LISTEN: `127.0.0.1:${await freePort()}` },
    });
    iam = createIamPort(svc.binding());
    admin = await iam.bootstrap();
    adminToken = (await iam.issueToken(admin.principal, admin.secret)).token;
  }, 60_000);
  afterAll(async () => {
    await svc?.dispose();
  }, 60_000);

  it('bootstraps the first admin once, and its secret is redacted from logs', async () => {
    await expect(iam.bootstrap()).rejects.toThrow(/409.*bootstrap already done/);
    expect(redact(`secret=${admin.secret}`)).not.toContain(admin.secret);
    expect((await iam.verifyToken(adminToken)).valid).toBe(true);
  });

  it('rotates the signing key with overlap: old tokens verify until the old key is retired', async () => {
    const app = await iam.createPrincipal(adminToken, 'app', ['reader']);
    const before = await iam.issueToken('app', app.secret);
    const rotated = await iam.rotateSigningKey(adminToken);
    expect(rotated.previous).toEqual([before.kid]);
    expect((await iam.jwks()).keys.map((k) => k.kid).sort()).toEqual([before.kid, rotated.current].sort());
    const after = await iam.issueToken('app', app.secret);
    expect(after.kid).toBe(rotated.current);
    expect(await iam.verifyToken(before.token)).toMatchObject({ valid: true, principal: 'app', roles: ['reader'] });
    adminToken = (await iam.issueToken(admin.principal, admin.secret)).token;
    await iam.retireSigningKey(adminToken, before.kid);
    expect((await iam.verifyToken(before.token)).valid).toBe(false);
    expect((await iam.verifyToken(after.token)).valid).toBe(true);
  });

  it('keeps keys, principals and the bootstrap across a restart and a SIGKILL', async () => {
    const token = await iam.issueToken(admin.principal, admin.secret);
    await svc.restart();
    expect((await iam.verifyToken(token.token)).valid).toBe(true);
    await svc.kill();
    await svc.launch();
    expect((await iam.verifyToken(token.token)).valid).toBe(true);
    await expect(iam.bootstrap()).rejects.toThrow(/409/);
  });

  it('rotates a credential with overlap: the old secret works until it is retired', async () => {
    const svcUser = await iam.createPrincipal(adminToken, 'svc-user');
    const next = await iam.rotateCredential(adminToken, 'svc-user');
    await iam.issueToken('svc-user', svcUser.secret);
    await iam.issueToken('svc-user', next.secret);
    await iam.retirePreviousCredential(adminToken, 'svc-user');
    await expect(iam.issueToken('svc-user', svcUser.secret)).rejects.toThrow(/401/);
    await iam.issueToken('svc-user', next.secret);
  });

  it('rotates the mTLS CA with overlap: client certs of the previous CA are accepted until it is retired', async () => {
    const oldCert = await iam.issueClientCertificate(adminToken, 'worker-a');
    expect(await iam.mtlsWhoami(oldCert, oldCert.caBundlePem)).toMatchObject({ subject: 'worker-a' });
    const rotated = await iam.rotateCa(adminToken);
    expect(rotated.cas.map((c) => c.state)).toEqual(['previous', 'current']);
    const newCert = await iam.issueClientCertificate(adminToken, 'worker-b');
    expect(await iam.mtlsWhoami(oldCert, rotated.caBundlePem)).toMatchObject({ subject: 'worker-a' });
    expect(await iam.mtlsWhoami(newCert, rotated.caBundlePem)).toMatchObject({ subject: 'worker-b' });
    const retired = await iam.retirePreviousCa(adminToken);
    await expect(iam.mtlsWhoami(oldCert, retired.caBundlePem)).rejects.toThrow(/refused/);
    expect(await iam.mtlsWhoami(newCert, retired.caBundlePem)).toMatchObject({ subject: 'worker-b' });
  });

  it('fault mtls-drops-previous-ca rejects the previous CA right after rotation', async () => {
    const oldCert = await iam.issueClientCertificate(adminToken, 'worker-c');
    await svc.setFaults({ 'mtls-drops-previous-ca': true });
    const rotated = await iam.rotateCa(adminToken);
    await svc.setFaults({});
    await expect(iam.mtlsWhoami(oldCert, rotated.caBundlePem)).rejects.toThrow(/refused/);
  });

  it('fault retired-key-still-accepted verifies a token of a retired key the JWKS no longer publishes', async () => {
    const before = await iam.issueToken(admin.principal, admin.secret);
    await iam.rotateSigningKey(before.token);
    adminToken = (await iam.issueToken(admin.principal, admin.secret)).token;
    await iam.retireSigningKey(adminToken, before.kid);
    expect((await iam.verifyToken(before.token)).valid).toBe(false);
    await svc.setFaults({ 'retired-key-still-accepted': true });
    expect((await iam.verifyToken(before.token)).valid).toBe(true);
    expect((await iam.jwks()).keys.map((k) => k.kid)).not.toContain(before.kid);
    await svc.setFaults({});
    expect((await iam.verifyToken(before.token)).valid).toBe(false);
  });

  it('fault old-ca-trusted-after-retire keeps accepting a client cert of the retired CA', async () => {
    const oldCert = await iam.issueClientCertificate(adminToken, 'worker-d');
    await iam.rotateCa(adminToken);
    await svc.setFaults({ 'old-ca-trusted-after-retire': true });
    const retired = await iam.retirePreviousCa(adminToken);
    expect(await iam.mtlsWhoami(oldCert, retired.caBundlePem)).toMatchObject({ subject: 'worker-d' });
    await svc.setFaults({});
    await iam.rotateCa(adminToken);
    const healed = await iam.retirePreviousCa(adminToken);
    await expect(iam.mtlsWhoami(oldCert, healed.caBundlePem)).rejects.toThrow(/refused/);
  });

  it('fault retired-credential-still-accepted keeps the old secret working after retire-previous', async () => {
    const user = await iam.createPrincipal(adminToken, 'svc-kept');
    await iam.rotateCredential(adminToken, user.id);
    await svc.setFaults({ 'retired-credential-still-accepted': true });
    await iam.retirePreviousCredential(adminToken, user.id);
    expect((await iam.issueToken(user.id, user.secret)).token).toBeTruthy();
    await svc.setFaults({});
    await iam.retirePreviousCredential(adminToken, user.id);
    await expect(iam.issueToken(user.id, user.secret)).rejects.toThrow(/401/);
  });

  it('fault rotation-drops-old-key makes old tokens fail immediately after rotation', async () => {
    const before = await iam.issueToken(admin.principal, admin.secret);
    await svc.setFaults({ 'rotation-drops-old-key': true });
    await iam.rotateSigningKey(before.token);
    await svc.setFaults({});
    expect(await iam.verifyToken(before.token)).toMatchObject({ valid: false });
    adminToken = (await iam.issueToken(admin.principal, admin.secret)).token;
  });

  it('expired tokens fail; fault accept-expired-tokens lets them verify', async () => {
    const short = await iam.issueToken(admin.principal, admin.secret, 1);
    await sleep(2_200);
    expect(await iam.verifyToken(short.token)).toMatchObject({ valid: false, error: expect.stringMatching(/exp/) });
    await svc.setFaults({ 'accept-expired-tokens': true });
    expect((await iam.verifyToken(short.token)).valid).toBe(true);
    await svc.setFaults({});
  });

  it('fault bootstrap-twice lets a second bootstrap through', async () => {
    await svc.setFaults({ 'bootstrap-twice': true });
    expect((await iam.bootstrap('admin2')).principal).toBe('admin2');
    await svc.setFaults({});
  });

  it('refuses an almost-right secret; fault secret-prefix-match accepts one that starts right', async () => {
    const changed = (secret: string) => `${secret.slice(0, -1)}${secret.endsWith('_') ? '-' : '_'}`;
    const plain = await iam.createPrincipal(adminToken, 'exact', ['tenant']);
    for (const variant of [changed(plain.secret), plain.secret.slice(0, -1), `${plain.secret}x`]) {
      await expect(iam.issueToken(plain.id, variant)).rejects.toThrow(/401/);
    }
    await svc.setFaults({ 'secret-prefix-match': true });
    const weak = await iam.createPrincipal(adminToken, 'prefixed', ['tenant']);
    expect((await iam.issueToken(weak.id, changed(weak.secret))).token).toBeTruthy();
    await expect(iam.issueToken(plain.id, `${plain.secret}x`)).rejects.toThrow(/401/);
    await svc.setFaults({});
    await expect(iam.issueToken(weak.id, changed(weak.secret))).rejects.toThrow(/401/);
  });

  it('an admin route refuses a tenant token with 403; fault non-admin-admitted lets it through', async () => {
    const tenant = await iam.createPrincipal(adminToken, 'plain-tenant', ['tenant']);
    const token = (await iam.issueToken(tenant.id, tenant.secret)).token;
    await expect(iam.createPrincipal(token, 'escalated', ['admin'])).rejects.toThrow(/403/);
    await svc.setFaults({ 'non-admin-admitted': true });
    expect((await iam.createPrincipal(token, 'escalated', ['admin'])).id).toBe('escalated');
    await svc.setFaults({});
  });
});
