import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchCopy } from '../../benchmarks/mutants/runner.ts';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';
import { labArgv, labEntries, labRuntimeFromEnv, prepareLabRuntime } from '../../lab/cluster/lab-build.ts';
import { InvalidInputError } from '../../profiles/descriptor-schema.ts';

describe('how lab processes are launched (lab/cluster/lab-build.ts)', () => {
  it('refuses a bad launch setting, naming the variable', () => {
    const bad: Array<[Record<string, string>, string]> = [
      [{ ULTRACLOUD_LAB_JS: 'wasm' }, 'ULTRACLOUD_LAB_JS'],
      [{ ULTRACLOUD_LAB_COMPILE_CACHE: 'yes' }, 'ULTRACLOUD_LAB_COMPILE_CACHE'],
      [{ ULTRACLOUD_LAB_NODE_FLAGS: '--max-semi-space-size=1 --inspect=0.0.0.0:9229' }, 'ULTRACLOUD_LAB_NODE_FLAGS'],
      [{ ULTRACLOUD_LAB_NODE_FLAGS: '--lite-mode' }, 'ULTRACLOUD_LAB_NODE_FLAGS'],
    ];
    for (const [env, variable] of bad) {
      let caught: unknown;
      try {
        labRuntimeFromEnv('/nowhere', env);
      } catch (err) {
        caught = err;
      }
      expect(caught, variable).toBeInstanceOf(InvalidInputError);
      expect((caught as Error).message).toContain(variable);
    }
  });

  it('selects the old way (the .ts sources, no cache, no flags) when asked, and the bundle by default', () => {
    const old = labRuntimeFromEnv('/w', {
      ULTRACLOUD_LAB_JS: 'ts',
      ULTRACLOUD_LAB_COMPILE_CACHE: '0',
      ULTRACLOUD_LAB_NODE_FLAGS: '',
    });
    expect(old).toEqual({ mode: 'ts', dir: null, compileCache: null, nodeFlags: [] });
    expect(labArgv(old, 'lab/node/supervisor').slice(1)).toEqual([join(projectRoot, 'lab/node/supervisor.ts')]);
    const def = labRuntimeFromEnv('/w', {});
    expect(def.mode).toBe('bundle');
    expect(def.compileCache).toBe('/w/lab-build/compile-cache');
  });
});

describe('the lab bundle is keyed by every input', () => {
  let scratch = '';
  let work = '';
  const env = { ULTRACLOUD_LAB_JS: 'bundle', ULTRACLOUD_LAB_COMPILE_CACHE: '1', ULTRACLOUD_LAB_NODE_FLAGS: '' };

  beforeAll(async () => {
    scratch = await workTempDir('lab-build-src-');
    work = await workTempDir('lab-build-work-');
    scratchCopy(projectRoot, scratch);
  });
  afterAll(() => {
    for (const d of [scratch, work]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('builds one .mjs per lab entry, reuses it for the same sources and rebuilds on any change', async () => {
    const first = await prepareLabRuntime(work, env, scratch);
    expect(first.dir).not.toBeNull();
    const dir = first.dir as string;
    for (const e of labEntries(scratch)) expect(existsSync(join(dir, `${e}.mjs`)), e).toBe(true);
    // no source is left for run-time type stripping: the bundle holds JavaScript, imports resolved
    const iam = readFileSync(join(dir, 'lab/services/iam/main.mjs'), 'utf8');
    expect(iam).not.toMatch(/from ['"][^'"]+\.ts['"]/);

    expect((await prepareLabRuntime(work, env, scratch)).dir).toBe(dir);

    // a change to a service's own source (as a mutant makes) gets a fresh bundle holding it
    appendFileSync(join(scratch, 'lab/services/iam/main.ts'), "\nexport const labBuildProbe = 'iam-changed';\n");
    const second = (await prepareLabRuntime(work, env, scratch)).dir as string;
    expect(second).not.toBe(dir);
    expect(readFileSync(join(second, 'lab/services/iam/main.mjs'), 'utf8')).toContain('iam-changed');

    // so does a change to a shared module several entries bundle (helpers/http.ts)
    appendFileSync(join(scratch, 'helpers/http.ts'), "\nexport const labBuildShared = 'shared-changed';\n");
    const third = (await prepareLabRuntime(work, env, scratch)).dir as string;
    expect(third).not.toBe(second);
  }, 180_000);
});
