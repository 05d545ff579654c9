import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceConfig } from './node-config.ts';

/** Generate the node's dropbear host key once; it survives power loss like a real host's. */
export function ensureHostKey(path: string): void {
  if (existsSync(path)) return;
  execFileSync('dropbearkey', ['-t', 'ed25519', '-f', path], { stdio: 'ignore' });
}

/**
 * Prepare the node's root home (bind-mounted over /root inside the node, so the host's /root/.ssh is never
 * touched) with the lab's public key as root's only authorized key, with the permissions dropbear insists on.
 */
export function prepareRootHome(home: string, authorizedKey: string): void {
  const ssh = join(home, '.ssh');
  mkdirSync(ssh, { recursive: true });
  chmodSync(home, 0o700);
  chmodSync(ssh, 0o700);
  writeFileSync(join(ssh, 'authorized_keys'), `${authorizedKey.trim()}\n`, { mode: 0o600 });
}

/** dropbear in the foreground, logging to stderr, key logins only, bound to the node's address. */
export function dropbearService(address: string, hostKey: string, nodeDir: string): ServiceConfig {
  return {
    name: 'sshd',
    argv: ['dropbear', '-F', '-E', '-s', '-p', `${address}:22`, '-r', hostKey, '-P', join(nodeDir, 'dropbear.pid')],
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      TMPDIR: '/tmp',
    },
    listen: `${address}:22`,
  };
}
