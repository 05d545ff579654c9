import { isAbsolute, resolve } from 'node:path';
import { execa } from 'execa';
import { HarnessError } from '../contracts/errors.ts';
import { projectRoot } from '../helpers/proof-root.ts';
import { localBuildArgs, localBuildSettings, type NixBuildSettings, offlineArgs } from './nix-build-settings.ts';

/** nix is not installed here: lanes report blocked naming `nix`. */
export class NixUnavailableError extends HarnessError {
  readonly missing = ['nix'];
  constructor(detail: string) {
    super(`nix is not available on this host (needed for the profile guards): ${detail}`);
    this.name = 'NixUnavailableError';
  }
}

/** The reference flake shipped in lab/. */
export const referenceFlake = resolve(projectRoot, 'lab');

export interface FlakeSelection {
  /** a flake reference or path; a relative path is made absolute */
  readonly flake: string;
  /** add the reference flake's offline options (no substituters, no sandbox) */
  readonly offline: boolean;
}

/**
 * The flake the guards check: --flake, else ULTRACLOUD_FLAKE, else the reference flake. A plain path is handed
 * to nix as a path, so nix decides: inside a git work tree only tracked files are seen (git+file), elsewhere the
 * whole directory is (path:). The reference flake is committed, so both ways see it.
 */
export function selectFlake(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): FlakeSelection {
  const raw = flag ?? env.ULTRACLOUD_FLAKE ?? referenceFlake;
  const hasScheme = /^[a-z][a-z0-9+]*:/.test(raw);
  const flake = hasScheme || isAbsolute(raw) ? raw : resolve(raw);
  const isReference = flake === referenceFlake || flake === `path:${referenceFlake}`;
  return { flake, offline: isReference || env.ULTRACLOUD_NIX_OFFLINE === '1' };
}

export interface NixRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface NixOptions {
  readonly offline: boolean;
  readonly settings?: NixBuildSettings;
  readonly signal?: AbortSignal;
}

/** Run `nix <subcommand> ...` with flakes enabled, local builders only and the derived job limits. */
export async function runNix(subcommand: string, args: string[], options: NixOptions): Promise<NixRun> {
  const settings = options.settings ?? localBuildSettings();
  const full = [
    '--extra-experimental-features',
    'nix-command flakes',
    ...localBuildArgs(settings),
    ...(options.offline ? offlineArgs() : []),
    subcommand,
    ...args,
  ];
  try {
    const r = await execa('nix', full, { reject: false, cancelSignal: options.signal, stdin: 'ignore' });
    if (r.failed && r.exitCode === undefined) throw r;
    return { exitCode: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new NixUnavailableError('"nix" was not found on PATH');
    throw err;
  }
}

/** The error part of nix's stderr, without the noise of warnings, at most `max` characters. */
export function nixErrorSummary(stderr: string, max = 800): string {
  const lines = stderr.split('\n').filter((l) => !/^warning: /.test(l) && l.trim() !== '');
  const start = lines.findIndex((l) => l.startsWith('error'));
  const text = (start >= 0 ? lines.slice(start) : lines).join('\n').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text || '(nix printed no error)';
}
