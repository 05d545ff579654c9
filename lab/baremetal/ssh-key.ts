import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageCacheDir } from '../../helpers/guest-image/guest-kernel.ts';
import { generateSshKeyPair } from '../../helpers/ssh-keys.ts';

export interface LabSshKey {
  privateKey: string;
  publicKey: string;
}

/**
 * The key root logs in with on installed bare-metal lab nodes. Generated once and kept beside the image cache, so
 * the installed systems that carry its public half stay cached.
 */
export function baremetalSshKey(): LabSshKey {
  const dir = join(imageCacheDir(), 'baremetal-ssh');
  const priv = join(dir, 'id_ed25519');
  const pub = `${priv}.pub`;
  if (!existsSync(priv) || !existsSync(pub)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys = generateSshKeyPair('ultracloud-baremetal-lab');
    writeFileSync(priv, keys.private, { mode: 0o600 });
    writeFileSync(pub, `${keys.public}\n`);
  }
  return { privateKey: readFileSync(priv, 'utf8'), publicKey: readFileSync(pub, 'utf8').trim() };
}
