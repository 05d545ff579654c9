// ucproof's executable entry (bin/ucproof runs it). Plain JavaScript on purpose: Node strips the types of a .ts
// module before any of its code runs, and the first such module loads the TypeScript stripper (tens of ms of CPU,
// far more wall time on a loaded host). This file turns Node's compile cache on before the first .ts module, so a
// warm start-up takes every module's stripped and compiled code from work/node-compile-cache and never loads the
// stripper. cli/main.ts does the rest (and turns the cache on itself when run directly, or when a variable such
// as ULTRACLOUD_WORK_ROOT must be checked first: this file then leaves it off).
import { statSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

const proofVariable = /^(ULTRACLOUD_|PHOTON_CLUSTER_NIX_)/;
const checkFirst = Object.entries(process.env).some(([k, v]) => v !== undefined && v !== '' && proofVariable.test(k));
if (process.env.NODE_COMPILE_CACHE === undefined && !checkFirst) {
  // the default work root, only when it already is a directory off the kernel's file systems (as cli/main.ts)
  const work = fileURLToPath(new URL('../work', import.meta.url));
  let dir = false;
  try {
    dir = !/^\/(proc|sys|dev)(\/|$)/.test(work) && statSync(work).isDirectory();
  } catch {}
  if (dir) enableCompileCache(`${work}/node-compile-cache`);
}

const { run } = await import('./main.ts');
run();
