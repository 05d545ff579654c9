import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateSshKeyPair } from '../../helpers/ssh-keys.ts';

describe('generateSshKeyPair', () => {
  it('only hands out pairs that parse back (ssh2 alone fails about one in 256)', () => {
    for (let i = 0; i < 1000; i++) {
      const pair = generateSshKeyPair(`test-${i}`);
      expect(ssh2.utils.parseKey(pair.public)).not.toBeInstanceOf(Error);
      expect(ssh2.utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
    }
  });
});
