import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { projectNode } from '../../helpers/node-version.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { InvalidInputError } from '../../profiles/descriptor-schema.ts';

/**
 * How the lab's own processes (controller, node supervisors, services) are launched. By default each entry runs
 * from JavaScript bundled ahead of time (one .mjs per entry and chunks of shared code, built with rolldown at lab start and cached under the
 * work root by a content hash of every file that went into it), with Node's compile cache beside it and V8 flags
 * that lower each process's memory. ULTRACLOUD_LAB_JS=ts selects the old way (the .ts sources, type-stripped at
 * run time), ULTRACLOUD_LAB_COMPILE_CACHE=0 turns the compile cache off, ULTRACLOUD_LAB_NODE_FLAGS replaces the
 * V8/Node flags ("" for none), so the benchmark can take the before and after of each in one run.
 */
export const LabRuntime = z.object({
  /** bundle: run <dir>/<entry>.mjs; ts: run <projectRoot>/<entry>.ts */
  mode: z.enum(['bundle', 'ts']),
  /** the bundle folder (mode bundle) */
  dir: z.string().nullable(),
  /** NODE_COMPILE_CACHE for every lab process (null: off) */
  compileCache: z.string().nullable(),
  /** flags before the entry on every lab process's command line */
  nodeFlags: z.array(z.string()),
});
export type LabRuntime = z.infer<typeof LabRuntime>;

/**
 * The default V8/Node flags of lab processes, each measured by benchmarks/cluster-boot.ts: a small young
 * generation (the services hold little and live long) and one V8 worker thread. None changes what a process may
 * do: isolation is the namespaces', not V8's.
 */
export const defaultLabNodeFlags = ['--max-semi-space-size=1', '--v8-pool-size=1'];

/**
 * Node/V8 flags a lab process may be given (anything else is refused, naming the variable). Not --lite-mode nor
 * --jitless: both turn WebAssembly off, which ssh2 (the controller's key handling) and Node's fetch need.
 */
const allowedFlag =
  /^--(max-semi-space-size=\d+|max-old-space-size=\d+|v8-pool-size=\d+|stack-size=\d+|single-threaded-gc|optimize-for-size)$/;

/** The lab's entries: what each lab process runs, relative to the project root without its extension. */
export function labEntries(root = projectRoot): string[] {
  const services = readdirSync(join(root, 'lab/services'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, 'lab/services', d.name, 'main.ts')))
    .map((d) => `lab/services/${d.name}/main`)
    .sort();
  return ['lab/controller', 'lab/node/supervisor', ...services];
}

/** The runtime the environment selects (not yet built). Bad values are errors naming the variable. */
export function labRuntimeFromEnv(workRoot: string, env: NodeJS.ProcessEnv = process.env): LabRuntime {
  const js = env.ULTRACLOUD_LAB_JS?.trim() || 'bundle';
  if (js !== 'bundle' && js !== 'ts') {
    throw new InvalidInputError(`ULTRACLOUD_LAB_JS: "${js}" is neither "bundle" nor "ts"`, ['ULTRACLOUD_LAB_JS']);
  }
  const cache = env.ULTRACLOUD_LAB_COMPILE_CACHE?.trim() || '1';
  if (cache !== '0' && cache !== '1') {
    throw new InvalidInputError(`ULTRACLOUD_LAB_COMPILE_CACHE: "${cache}" is neither 0 nor 1`, [
      'ULTRACLOUD_LAB_COMPILE_CACHE',
    ]);
  }
  const rawFlags = env.ULTRACLOUD_LAB_NODE_FLAGS;
  const nodeFlags = rawFlags === undefined ? defaultLabNodeFlags : rawFlags.split(/\s+/).filter(Boolean);
  for (const f of nodeFlags) {
    if (!allowedFlag.test(f)) {
      throw new InvalidInputError(
        `ULTRACLOUD_LAB_NODE_FLAGS: "${f}" is not a flag a lab process may be given (${allowedFlag.source})`,
        ['ULTRACLOUD_LAB_NODE_FLAGS'],
      );
    }
  }
  return {
    mode: js,
    dir: null,
    compileCache: cache === '1' ? join(buildRoot(workRoot), 'compile-cache') : null,
    nodeFlags,
  };
}

/** The command line of one lab entry (e.g. `lab/services/iam/main`) under this runtime. */
export function labArgv(runtime: LabRuntime, entry: string): [string, ...string[]] {
  const file =
    runtime.mode === 'bundle' && runtime.dir ? join(runtime.dir, `${entry}.mjs`) : join(projectRoot, `${entry}.ts`);
  return [projectNode(), ...runtime.nodeFlags, file];
}

/** The environment a lab process gets from its runtime (the compile cache), on top of its own. */
export function labRuntimeEnv(runtime: LabRuntime): Record<string, string> {
  return runtime.compileCache ? { NODE_COMPILE_CACHE: runtime.compileCache } : {};
}

function buildRoot(workRoot: string): string {
  return join(workRoot, 'lab-build');
}

const Manifest = z.object({ key: z.string(), inputs: z.array(z.tuple([z.string(), z.string()])) });

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The build's key: every input's path and content, the project root (it is written into the bundles) and tools. */
function buildKey(root: string, inputs: Array<[string, string]>, rolldownVersion: string): string {
  return sha256(JSON.stringify({ root, node: process.version, rolldownVersion, inputs })).slice(0, 24);
}

function hashInputs(paths: string[]): Array<[string, string]> | null {
  const out: Array<[string, string]> = [];
  for (const p of paths) {
    try {
      out.push([p, sha256(readFileSync(p))]);
    } catch {
      return null;
    }
  }
  return out;
}

/**
 * The runtime ready to launch: for mode bundle, the bundle folder of the current sources, built when no bundle of
 * exactly these inputs exists yet. The manifest of the last build lists every input file (lab sources and the
 * node_modules files bundled in) with its content hash; when every one still hashes the same the bundle is reused,
 * otherwise (any change: an edited source, a mutant applied) it is rebuilt into a new folder named by the new key.
 */
export async function prepareLabRuntime(
  workRoot: string,
  env: NodeJS.ProcessEnv = process.env,
  /** the checkout whose lab is built (a mutant's scratch copy, a test's copy) */
  source = projectRoot,
): Promise<LabRuntime> {
  const runtime = labRuntimeFromEnv(workRoot, env);
  if (runtime.compileCache) mkdirSync(runtime.compileCache, { recursive: true });
  if (runtime.mode !== 'bundle') return runtime;
  const root = buildRoot(workRoot);
  mkdirSync(root, { recursive: true });
  const require = createRequire(join(source, 'package.json'));
  const rolldownVersion = (
    JSON.parse(readFileSync(require.resolve('rolldown/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const manifestPath = join(root, `manifest-${sha256(source).slice(0, 12)}.json`);
  const entries = labEntries(source);
  try {
    const manifest = Manifest.parse(JSON.parse(readFileSync(manifestPath, 'utf8')));
    const inputs = hashInputs(manifest.inputs.map(([p]) => p));
    const dir = join(root, manifest.key);
    if (
      inputs &&
      buildKey(source, inputs, rolldownVersion) === manifest.key &&
      entries.every((e) => existsSync(join(dir, `${e}.mjs`)))
    ) {
      return { ...runtime, dir };
    }
  } catch {
    // no manifest yet, or an unreadable one: build
  }
  return { ...runtime, dir: await buildBundles(source, root, manifestPath, entries, rolldownVersion) };
}

const compileCacheFlush =
  "import { flushCompileCache as ucpFlushCompileCache } from 'node:module';\n" +
  'setImmediate(() => ucpFlushCompileCache());';

async function buildBundles(
  source: string,
  root: string,
  manifestPath: string,
  entries: string[],
  rolldownVersion: string,
): Promise<string> {
  const { rolldown } = await import('rolldown');
  const require = createRequire(join(source, 'package.json'));
  // ssh2 loads a native addon by a relative require: it stays a package, imported from the project's node_modules
  const ssh2 = pathToFileURL(require.resolve('ssh2')).href;
  const tmp = join(root, `tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const loaded = new Set<string>();
  try {
    // one build of every entry: each entry is one .mjs, the code several entries share is in chunks/ (one build of
    // all entries takes about a sixth of the time of one build per entry)
    const bundle = await rolldown({
      input: Object.fromEntries(entries.map((e) => [e, join(source, `${e}.ts`)])),
      platform: 'node',
      cwd: source,
      logLevel: 'warn',
      external: [/^node:/],
      plugins: [
        {
          name: 'ucp-lab-sources',
          resolveId(source: string) {
            if (source === 'ssh2') return { id: ssh2, external: true };
            return null;
          },
          load(id: string) {
            if (id.startsWith('/')) loaded.add(id);
            return null;
          },
          transform(code: string, id: string) {
            // each module keeps its own location: paths derived from import.meta.url stay the source's
            if (id.includes('/node_modules/') || !code.includes('import.meta.url')) return null;
            return { code: code.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(id).href)) };
          },
        },
      ],
    });
    try {
      await bundle.write({
        dir: tmp,
        format: 'esm',
        entryFileNames: '[name].mjs',
        chunkFileNames: 'chunks/[name]-[hash].mjs',
        // the compile cache is written when a process exits normally; lab processes mostly end by a signal, so
        // each entry writes what it compiled (itself and its chunks) once it has loaded
        banner: (chunk) => (chunk.isEntry ? compileCacheFlush : ''),
      });
    } finally {
      await bundle.close();
    }
    const inputs = hashInputs([...loaded].sort());
    if (!inputs) throw new Error('a bundled source changed while the lab was being built');
    const key = buildKey(source, inputs, rolldownVersion);
    const dir = join(root, key);
    if (!existsSync(dir)) {
      try {
        renameSync(tmp, dir);
      } catch (err) {
        // another lab built the same key meanwhile: theirs is as good as ours
        if (!existsSync(dir)) throw err;
      }
    }
    const next = `${manifestPath}.${process.pid}`;
    writeFileSync(next, JSON.stringify({ key, inputs }));
    renameSync(next, manifestPath);
    return dir;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** For messages: a bundle folder relative to the work root. */
export function describeRuntime(runtime: LabRuntime, workRoot: string): string {
  const where = runtime.dir ? relative(workRoot, runtime.dir) : 'sources';
  return `${runtime.mode} (${where}), compile cache ${runtime.compileCache ? 'on' : 'off'}, flags ${runtime.nodeFlags.join(' ') || 'none'}`;
}
