import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selfSignedCertificate as makeSelfSigned } from '../services/common/openssl.ts';

/** A self-signed certificate for 127.0.0.1 (what a BMC ships with), made once per state dir with openssl. */
export async function selfSignedCertificate(dir: string): Promise<{ key: string; cert: string; certFile: string }> {
  const keyFile = join(dir, 'bmc-key.pem');
  const certFile = join(dir, 'bmc-cert.pem');
  if (!existsSync(certFile)) {
    await makeSelfSigned({
      keyFile,
      certFile,
      subject: '/CN=ultracloud-lab-bmc',
      extensions: ['subjectAltName=IP:127.0.0.1,DNS:localhost'],
    });
  }
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8'), certFile };
}
