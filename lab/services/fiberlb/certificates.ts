import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Certificate } from './lb-model.ts';

const run = promisify(execFile);

async function openssl(args: string[]): Promise<string> {
  try {
    return (await run('openssl', args, { timeout: 30_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`"openssl ${args[0]}" failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** A self-signed certificate for commonName (also its subjectAltName), made by the openssl CLI. */
export async function generateCertificate(dir: string, name: string, commonName: string): Promise<Certificate> {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '30',
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    `subjectAltName=DNS:${commonName}`,
    '-keyout',
    key,
    '-out',
    crt,
  ]);
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
