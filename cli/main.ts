import { statSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { join, resolve } from 'node:path';
import { HarnessError } from '../contracts/errors.ts';
import { InvalidEnvironmentError } from '../guards/nix-build-settings.ts';
import { unsupportedNode } from '../helpers/node-version.ts';
import { InvalidInputError } from '../profiles/invalid-input.ts';
import { workRoot } from '../profiles/paths.ts';
import { UsageError } from './usage.ts';

/**
 * ucproof: the operator commands of UltraCloud Proof. Each command lives in cli/commands/<name>.ts and exports
 * `run(argv): Promise<number>` and `summary`. `workRoot`: the command writes under the work root, which must be a
 * writable directory before it starts.
 */
const commands: Record<
  string,
  { summary: string; workRoot?: true; load: () => Promise<{ run(argv: string[]): Promise<number> }> }
> = {
  proof: {
    summary: 'run the publishable suite on the selected target',
    workRoot: true,
    load: () => import('./commands/proof.ts'),
  },
  'final-proof': {
    summary: 'guard, trial VM, quickstart, then the publishable suite, into one dated proof root',
    workRoot: true,
    load: () => import('./commands/final-proof.ts'),
  },
  'core-ops-proof': {
    summary: 'ChainFire, FlareDB and IAM operator lifecycle proof into work/core-control-plane-ops-proof',
    workRoot: true,
    load: () => import('./commands/core-ops-proof.ts'),
  },
  markers: {
    summary: 'wait for ULTRACLOUD_MARKER sequences in a (growing) log',
    load: () => import('./commands/markers.ts'),
  },
  'merge-proofs': {
    summary: "copy shards' proof roots and blob reports into this work root (then vitest --merge-reports)",
    workRoot: true,
    load: () => import('./commands/merge-proofs.ts'),
  },
  guard: { summary: 'supported-surface, eval and build guards', load: () => import('./commands/guard.ts') },
  check: {
    summary: 'build a reference-flake lane check: the nix build runs the lane and fails when it fails',
    load: () => import('./commands/check.ts'),
  },
  'work-root-budget': {
    workRoot: true,
    summary: 'status | enforce | cleanup-advice | prune-proof-logs N',
    load: () => import('./commands/work-root-budget.ts'),
  },
  cluster: {
    workRoot: true,
    summary: 'up | status | logs | ssh | stop | clean | matrix | bench-storage | serve-vm-webapp | fresh-*',
    load: () => import('./commands/cluster.ts'),
  },
  'baremetal-iso-e2e': {
    workRoot: true,
    summary: 'materialized bare-metal ISO proof runner (requires KVM)',
    load: () => import('./commands/baremetal-iso-e2e.ts'),
  },
  'hardware-smoke': {
    summary: 'preflight | run | capture',
    workRoot: true,
    load: () => import('./commands/hardware-smoke.ts'),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: ucproof <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "run 'ucproof <command> --help' for a command's options",
  ].join('\n');
}

/**
 * Whether any variable the environment schema reads is set (all of them are ULTRACLOUD_* or PHOTON_CLUSTER_NIX_*;
 * an empty value counts as unset). With none set there is nothing to check, and the schema is not even loaded.
 */
export function proofVariablesSet(env: NodeJS.ProcessEnv = process.env): boolean {
  return Object.entries(env).some(
    ([k, v]) => v !== undefined && v !== '' && /^(ULTRACLOUD_|PHOTON_CLUSTER_NIX_)/.test(k),
  );
}

/**
 * Node's module compile cache under the work root (work/node-compile-cache): the TypeScript modules a command
 * loads are stripped and compiled once, not at every start. A work root that cannot hold it only costs the cache.
 */
function compileCache(): void {
  if (process.env.NODE_COMPILE_CACHE !== undefined) return;
  const root = resolve(workRoot());
  // only a work root that already is a directory, never one on a kernel file system (Node's cache writer spins
  // there); a bad work root is refused by its own check, not here
  if (/^\/(proc|sys|dev)(\/|$)/.test(root)) return;
  try {
    if (!statSync(root).isDirectory()) return;
  } catch {
    return;
  }
  enableCompileCache(join(root, 'node-compile-cache'));
}

export async function main(argv: string[]): Promise<number> {
  const badNode = unsupportedNode();
  if (badNode) {
    process.stderr.write(`ucproof: ${badNode}\n`);
    return 2;
  }
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`ucproof: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  try {
    // bad input is refused before anything runs; a command's --help works whatever the environment
    if (!rest.includes('--help') && !rest.includes('-h') && (command.workRoot || proofVariablesSet())) {
      const { checkEnvironment, checkWorkRoot } = await import('../profiles/env-schema.ts');
      checkEnvironment();
      if (command.workRoot) checkWorkRoot();
    }
    compileCache();
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InvalidInputError || err instanceof InvalidEnvironmentError) {
      process.stderr.write(`ucproof ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof HarnessError) {
      process.stderr.write(`ucproof ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Runs ucproof on this process's arguments and sets its exit code (cli/ucproof.mjs and `node cli/main.ts`). */
export function run(argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`ucproof: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (import.meta.main) run();
