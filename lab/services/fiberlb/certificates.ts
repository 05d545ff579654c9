import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openssl, selfSignedCertificate } from '../common/openssl.ts';
import type { Certificate } from './lb-model.ts';

/** A self-signed certificate for commonName (also its subjectAltName), made by the openssl CLI. */
export async function generateCertificate(dir: string, name: string, commonName: string): Promise<Certificate> {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  await selfSignedCertificate({
    keyFile: key,
    certFile: crt,
    subject: `/CN=${commonName}`,
    extensions: [`subjectAltName=DNS:${commonName}`],
  });
  return await bundle(dir, name, commonName, await readFile(crt, 'utf8'), await readFile(key, 'utf8'), [key, crt]);
}

/** An uploaded certificate and key; the common name is read back from the certificate. */
export async function importCertificate(
  dir: string,
  name: string,
  certPem: string,
  keyPem: string,
): Promise<Certificate> {
  const crt = join(dir, `${name}.upload.crt`);
  await writeFile(crt, certPem);
  const subject = await openssl(['x509', '-in', crt, '-noout', '-subject', '-nameopt', 'multiline']);
  const commonName = /commonName\s*=\s*(.+)/.exec(subject)?.[1]?.trim() ?? '';
  return await bundle(dir, name, commonName, certPem, keyPem, [crt]);
}

async function bundle(dir: string, name: string, commonName: string, crt: string, key: string, scratch: string[]) {
  const pemPath = join(dir, `${name}.pem`);
  await writeFile(pemPath, `${crt.trim()}\n${key.trim()}\n`, { mode: 0o600 });
  const fp = await openssl(['x509', '-in', pemPath, '-noout', '-fingerprint', '-sha256']);
  for (const f of scratch) await rm(f, { force: true });
  return { name, commonName, pemPath, sha256Fingerprint: fp.split('=')[1]?.trim() ?? '' };
}
