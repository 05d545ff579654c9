import { existsSync, realpathSync } from 'node:fs';
import { execa } from 'execa';
import type { ImageFile } from '../../helpers/guest-image/initramfs.ts';

/**
 * The host's dropbear (dynamically linked) with the shared libraries it needs, at the same paths, plus root's
 * account and authorized key: what an image needs to serve SSH. Empty when dropbear is not installed.
 */
export async function dropbearFiles(authorizedKey: string, binary = '/usr/sbin/dropbear') {
  if (!existsSync(binary)) return {};
  const files: Record<string, ImageFile> = { '/usr/sbin/dropbear': { source: binary, mode: 0o755 } };
  const { stdout } = await execa('ldd', [binary]);
  for (const line of stdout.split('\n')) {
    const path = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1];
    if (path) files[path] = { source: realpathSync(path), mode: 0o755 };
  }
  return { ...files, ...rootLoginFiles(authorizedKey) };
}

/** The accounts files root logs in with over SSH, for a guest that brings its own dropbear (e.g. the host's /usr). */
export function rootLoginFiles(authorizedKey: string): Record<string, ImageFile> {
  return {
    '/etc/passwd': { content: 'root:x:0:0:root:/root:/bin/sh\n' },
    '/etc/group': { content: 'root:x:0:\n' },
    '/etc/shells': { content: '/bin/sh\n' },
    '/root/.ssh/authorized_keys': { content: `${authorizedKey.trim()}\n`, mode: 0o600 },
  };
}
