import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/proof-root.ts';

/**
 * A probe loaded into ucproof's Node (NODE_OPTIONS --import): when the process exits it reports whether Node loaded
 * its TypeScript stripper (amaro) and where the compile cache was, if it was on.
 */
const probe = `data:text/javascript,${encodeURIComponent(`
import { getCompileCacheDir } from 'node:module';
process.on('exit', () => {
  const stripper = process.moduleLoadList.some((m) => m.includes('amaro'));
  process.stderr.write(\`probe:\${JSON.stringify({ stripper, cache: getCompileCacheDir() ?? null })}\\n\`);
});
`)}`;

/** The environment of a user who set none of ucproof's variables (and no compile-cache override). */
const plainEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !/^(ULTRACLOUD_|PHOTON_CLUSTER_NIX_|NODE_COMPILE_CACHE|NODE_DISABLE_COMPILE_CACHE|NODE_OPTIONS)/.test(k),
  ),
);

function probed(cmd: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd[0] as string, cmd.slice(1), {
    encoding: 'utf8',
    env: { ...plainEnv, ...env, NODE_OPTIONS: `--import=${probe}` },
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('probe:'));
  if (!line) throw new Error(`no probe line: ${r.stderr}`);
  const seen = JSON.parse(line.slice('probe:'.length)) as { stripper: boolean; cache: string | null };
  return {
    status: r.status,
    stderr: r.stderr,
    stripper: seen.stripper,
    // the cache directory ucproof chose (Node keeps its entries in a subdirectory per Node version)
    cache: seen.cache === null ? null : dirname(seen.cache),
  };
}

const bin = join(projectRoot, 'bin/ucproof');
const mainTs = [process.execPath, join(projectRoot, 'cli/main.ts')];
const defaultCache = join(projectRoot, 'work', 'node-compile-cache');

describe('ucproof start-up (cli/ucproof.mjs, run by bin/ucproof)', () => {
  it('a warm start takes every module from the compile cache in work/ and never loads the TypeScript stripper', () => {
    mkdirSync(join(projectRoot, 'work'), { recursive: true }); // the default work root, as ucproof's first run makes it
    const args = ['guard', 'supported-surface', '--root', join(projectRoot, 'tests/unit/fixtures'), '--json'];
    probed([bin, ...args]); // warm-up: fills the cache
    const warm = probed([bin, ...args]);
    expect(warm.cache).toBe(defaultCache);
    expect(warm.stripper, warm.stderr).toBe(false);
    // the probe sees the stripper where it is loaded: a .ts entry is stripped before its own code can turn the
    // cache on
    const direct = probed([...mainTs, ...args]);
    expect(direct.stripper).toBe(true);
    expect(direct.status).toBe(warm.status);
  });

  it('with a variable of ucproof set, the cache stays off until cli/main.ts has checked it: a bad one turns it on nowhere', () => {
    const bad = probed([bin, 'guard', 'supported-surface', '--root', '.'], { ULTRACLOUD_KEEP_CLUSTER: 'yes' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('ULTRACLOUD_KEEP_CLUSTER: must be 0 or 1, got "yes"');
    expect(bad.cache).toBeNull();
    const alias = probed([bin, 'guard', 'supported-surface', '--root', '.'], { PHOTON_CLUSTER_NIX_MAX_JOBS: 'many' });
    expect(alias.status).toBe(2);
    expect(alias.cache).toBeNull();
  });

  it('with a good ULTRACLOUD_WORK_ROOT the cache goes under that work root, after the check', async () => {
    const work = await mkdtemp(join(tmpdir(), 'ucp-entry-work-'));
    try {
      const r = probed([bin, 'guard', '--help'], { ULTRACLOUD_WORK_ROOT: work });
      expect(r.status).toBe(0);
      expect(r.cache).toBe(join(work, 'node-compile-cache'));
      expect(existsSync(join(work, 'node-compile-cache'))).toBe(true);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('a NODE_COMPILE_CACHE of the caller is left as it is', async () => {
    const own = await mkdtemp(join(tmpdir(), 'ucp-entry-cache-'));
    try {
      const r = probed([bin, '--help'], { NODE_COMPILE_CACHE: own });
      expect(r.status).toBe(0);
      expect(r.cache).toBe(own);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
