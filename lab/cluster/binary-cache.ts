import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { labSecretsDir } from './lab-secrets.ts';

/**
 * The lab's binary cache: a signed Nix file binary cache in <lab dir>/binary-cache, served over HTTP by the
 * deployer (GET /cache/...). The controller holds the signing key (<lab dir>/secrets/binary-cache.sk, 0600, removed
 * with the secrets folder) and copies host-built closures into the cache with `nix copy --to file://...?secret-key=`;
 * nodes trust only the public key (<lab dir>/binary-cache.pub).
 */
export const binaryCacheDir = (labDir: string) => join(labDir, 'binary-cache');
export const binaryCacheSecretKeyPath = (labDir: string) => join(labSecretsDir(labDir), 'binary-cache.sk');
export const binaryCachePublicKeyPath = (labDir: string) => join(labDir, 'binary-cache.pub');

/** Create the lab's cache key pair and cache folder; the public key, or null when nix-store is not installed. */
export function prepareBinaryCache(labDir: string, labId: string): string | null {
  const pub = binaryCachePublicKeyPath(labDir);
  mkdirSync(binaryCacheDir(labDir), { recursive: true });
  if (!existsSync(pub)) {
    try {
      execFileSync(
        'nix-store',
        ['--generate-binary-cache-key', `ucproof-lab-${labId}-1`, binaryCacheSecretKeyPath(labDir), pub],
        { stdio: 'ignore' },
      );
    } catch {
      return null;
    }
  }
  return readFileSync(pub, 'utf8').trim();
}

export const CachePushRequest = z.object({
  paths: z.array(z.string().regex(/^\/nix\/store\/[a-z0-9]{32}-[A-Za-z0-9+._?=-]+$/, 'a /nix/store path')).min(1),
});

/** Copy host store paths (with their closures) into the lab's cache, signed with the lab's cache key. */
export async function pushToBinaryCache(labDir: string, paths: string[]): Promise<void> {
  const to = `file://${binaryCacheDir(labDir)}?secret-key=${binaryCacheSecretKeyPath(labDir)}&compression=xz`;
  const r = await execa(
    'nix',
    ['--extra-experimental-features', 'nix-command', '--option', 'build-users-group', '', 'copy', '--to', to, ...paths],
    { reject: false, stdin: 'ignore', all: true },
  );
  if (r.exitCode !== 0) throw new Error(`nix copy into the lab's binary cache failed: ${(r.all ?? '').slice(-800)}`);
}
