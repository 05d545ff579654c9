import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Bad environment input: the message names the variable. */
export class InvalidEnvironmentError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'InvalidEnvironmentError';
    this.variable = variable;
  }
}

export interface NixBuildSettings {
  readonly maxJobs: number;
  readonly cores: number;
  /** where each value came from: a variable's name, or "cpu-count" */
  readonly source: { readonly maxJobs: string; readonly cores: string };
}

const maxJobsVariables = ['ULTRACLOUD_LOCAL_NIX_MAX_JOBS', 'PHOTON_CLUSTER_NIX_MAX_JOBS'] as const;
const coresVariables = ['ULTRACLOUD_LOCAL_NIX_BUILD_CORES', 'PHOTON_CLUSTER_NIX_BUILD_CORES'] as const;

/**
 * Local builds only: max-jobs and per-build cores derived from the host CPU count (a quarter of the CPUs as jobs,
 * the CPUs shared among them), unless ULTRACLOUD_LOCAL_NIX_MAX_JOBS / ULTRACLOUD_LOCAL_NIX_BUILD_CORES or their
 * PHOTON_CLUSTER_NIX_* equivalents say otherwise (the ULTRACLOUD_ names win).
 */
export function localBuildSettings(
  env: NodeJS.ProcessEnv = process.env,
  cpuCount = availableParallelism(),
): NixBuildSettings {
  const derivedJobs = Math.max(1, Math.floor(cpuCount / 4));
  const jobs = fromEnv(env, maxJobsVariables);
  const maxJobs = jobs?.value ?? derivedJobs;
  const cores = fromEnv(env, coresVariables);
  return {
    maxJobs,
    cores: cores?.value ?? Math.max(1, Math.floor(cpuCount / maxJobs)),
    source: { maxJobs: jobs?.variable ?? 'cpu-count', cores: cores?.variable ?? 'cpu-count' },
  };
}

function fromEnv(env: NodeJS.ProcessEnv, names: readonly string[]): { value: number; variable: string } | undefined {
  for (const variable of names) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < 1) {
      throw new InvalidEnvironmentError(variable, `must be a positive integer, got "${raw}"`);
    }
    return { value: Number(raw), variable };
  }
  return undefined;
}

/** The nix options every guard invocation carries: local builders only, the derived job limits. */
export function localBuildArgs(settings: NixBuildSettings): string[] {
  return ['--option', 'builders', '', '--max-jobs', String(settings.maxJobs), '--cores', String(settings.cores)];
}

/**
 * The options the pure offline reference flake needs: no substituters (nothing can be downloaded), no sandbox
 * (its builders are /bin/sh), no build-users group when the host has none (a root single-user install), and the
 * impure-derivations feature its lane checks are built with (lab/nix/README.md).
 */
export function offlineArgs(): string[] {
  const args = [
    ...['--extra-experimental-features', 'impure-derivations ca-derivations'],
    ...['--option', 'substituters', '', '--option', 'sandbox', 'false'],
  ];
  if (process.getuid?.() === 0 && !hasGroup('nixbld')) args.push('--option', 'build-users-group', '');
  return args;
}

function hasGroup(name: string): boolean {
  try {
    return readFileSync('/etc/group', 'utf8')
      .split('\n')
      .some((line) => line.startsWith(`${name}:`));
  } catch {
    return false;
  }
}
