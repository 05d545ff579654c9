import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openssl, selfSignedCertificate } from '../common/openssl.ts';

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

/**
 * The mTLS certificate authorities, made and used by the `openssl` CLI. Each CA lives in `<dir>/<id>/ca.{crt,key}`
 * (EC P-256); leaf certificates are issued for a common name, as server and client certificates.
 */
export class CertificateAuthorities {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  async create(id: string): Promise<{ fingerprint: string }> {
    const caDir = join(this.dir, id);
    mkdirSync(caDir, { recursive: true, mode: 0o700 });
    await selfSignedCertificate({
      keyFile: join(caDir, 'ca.key'),
      certFile: join(caDir, 'ca.crt'),
      subject: `/CN=ultracloud-lab-iam-ca-${id}`,
      extensions: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'],
    });
    return { fingerprint: new X509Certificate(this.certPem(id)).fingerprint256 };
  }

  certPem(id: string): string {
    return readFileSync(join(this.dir, id, 'ca.crt'), 'utf8');
  }

  async issue(caId: string, commonName: string, sans: string[]): Promise<IssuedCertificate> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(commonName)) throw new Error(`invalid common name "${commonName}"`);
    const work = mkdtempSync(join(this.dir, 'issue-'));
    try {
      const caDir = join(this.dir, caId);
      await openssl([
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(work, 'leaf.key'),
        '-out',
        join(work, 'leaf.csr'),
        '-subj',
        `/CN=${commonName}`,
      ]);
      const ext = [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth,clientAuth',
        ...(sans.length ? [`subjectAltName=${sans.join(',')}`] : []),
      ];
      writeFileSync(join(work, 'ext.cnf'), `${ext.join('\n')}\n`);
      await openssl([
        'x509',
        '-req',
        '-in',
        join(work, 'leaf.csr'),
        '-CA',
        join(caDir, 'ca.crt'),
        '-CAkey',
        join(caDir, 'ca.key'),
        '-set_serial',
        `0x${randomBytes(12).toString('hex')}`,
        '-days',
        '7',
        '-out',
        join(work, 'leaf.crt'),
        '-extfile',
        join(work, 'ext.cnf'),
      ]);
      return {
        certPem: readFileSync(join(work, 'leaf.crt'), 'utf8'),
        keyPem: readFileSync(join(work, 'leaf.key'), 'utf8'),
      };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}
