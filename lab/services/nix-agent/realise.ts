import { fileURLToPath } from 'node:url';

/** Where the node's copy of a target closure came from, or why it is not there. */
export type Realised = { ok: true; how: 'present' | 'substituted' | 'built' } | { ok: false; detail: string };

const nixOptions = ['--option', 'build-users-group', ''];

/** the reference flake (lab/), which the build-on-node fault evaluates on the node */
const referenceFlake = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

/**
 * Make the target closure valid in the node's own Nix store (/nix inside the node): substitute it from the
 * deployer's binary cache (trusting only `trustedKeys`, builders disabled with --max-jobs 0, so nothing can be
 * built), or, without a cache, accept it only when it is already valid there. Never builds, except under the
 * build-on-node fault, which evaluates and builds the closure on the node from the reference flake.
 */
export async function realise(
  target: string,
  cacheUrl: string | null,
  trustedKeys: string | null,
  buildOnNode: boolean,
): Promise<Realised> {
  if (buildOnNode) return buildFromFlake(target);
  // execa is loaded on first use: most service processes never run a command, and it is a large import
  const { execa } = await import('execa');
  if (!cacheUrl) {
    const valid = await execa('nix-store', [...nixOptions, '--check-validity', target], { reject: false });
    return valid.exitCode === 0
      ? { ok: true, how: 'present' }
      : {
          ok: false,
          detail: `target closure ${target} is not in this node's store and no binary_cache_url was given: a guest-side build would be required`,
        };
  }
  if (!trustedKeys) return { ok: false, detail: 'no trusted public key for the binary cache is configured' };
  const r = await execa(
    'nix-store',
    [
      ...nixOptions,
      '--option',
      'substituters',
      cacheUrl,
      '--option',
      'trusted-public-keys',
      trustedKeys,
      '--option',
      'require-sigs',
      'true',
      // ask the cache afresh: a narinfo remembered from an earlier realisation is not what the cache serves now
      '--option',
      'narinfo-cache-positive-ttl',
      '0',
      '--option',
      'narinfo-cache-negative-ttl',
      '0',
      '--max-jobs',
      '0',
      '--realise',
      target,
    ],
    { reject: false, all: true, stdin: 'ignore', timeout: 120_000 },
  );
  if (r.exitCode === 0) return { ok: true, how: 'substituted' };
  return {
    ok: false,
    detail: `target closure ${target} could not be substituted from ${cacheUrl} (nothing is built on the node): ${errorOf(r.all ?? '')}`,
  };
}

async function buildFromFlake(target: string): Promise<Realised> {
  // execa is loaded on first use: most service processes never run a command, and it is a large import
  const { execa } = await import('execa');
  const name = /-nixos-system-([A-Za-z0-9_-]+)$/.exec(target)?.[1];
  if (!name) return { ok: false, detail: `cannot tell the configuration of ${target}` };
  const r = await execa(
    'nix',
    [
      '--extra-experimental-features',
      'nix-command flakes',
      ...nixOptions,
      '--option',
      'substituters',
      '',
      '--option',
      'sandbox',
      'false',
      '--max-jobs',
      '1',
      'build',
      '--no-link',
      `path:${referenceFlake}#nixosConfigurations.${name}.config.system.build.toplevel`,
    ],
    { reject: false, all: true, stdin: 'ignore', timeout: 300_000 },
  );
  return r.exitCode === 0 ? { ok: true, how: 'built' } : { ok: false, detail: `build failed: ${errorOf(r.all ?? '')}` };
}

function errorOf(output: string): string {
  const lines = output.split('\n').filter((l) => l.trim() && !/^warning: the group .* does not exist/.test(l));
  // nix names a refused substitute (not signed by a trusted key) in a warning before its error
  const errors = lines.filter((l) => l.startsWith('error: ') || /^warning: the substitute for /.test(l));
  return (errors.length ? errors : lines.slice(-6)).join(' | ').slice(-800) || '(nix printed no error)';
}
