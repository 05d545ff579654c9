import ssh2 from 'ssh2';

export interface SshKeyPair {
  /** OpenSSH private key */
  private: string;
  /** OpenSSH public key line */
  public: string;
}

/**
 * A fresh ed25519 key pair in OpenSSH format. ssh2's generator emits a key it cannot parse back about once in 256
 * (it strips a leading zero byte of the public key: mscdex/ssh2#1513), so each pair is parsed before it is used,
 * and a malformed one is replaced.
 */
export function generateSshKeyPair(comment: string): SshKeyPair {
  for (let attempt = 0; attempt < 16; attempt++) {
    const keys = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if (!(ssh2.utils.parseKey(keys.public) instanceof Error) && !(ssh2.utils.parseKey(keys.private) instanceof Error)) {
      return { private: keys.private, public: keys.public };
    }
  }
  throw new Error('could not generate a parseable ed25519 key pair in 16 attempts');
}
