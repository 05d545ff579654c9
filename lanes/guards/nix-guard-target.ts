import { execa } from 'execa';
import { localBuildSettings, type NixBuildSettings } from '../../guards/nix-build-settings.ts';
import { type FlakeSelection, selectFlake } from '../../guards/nix-command.ts';
import type { LaneContext } from '../../harness/define.ts';

/** What the profile-guard lanes run against: a flake (ULTRACLOUD_FLAKE, else the reference flake in lab/). */
export interface NixGuardTarget {
  readonly selection: FlakeSelection;
  /** override the canonical attribute list (negative tests) */
  readonly attributes?: readonly string[];
}

export function defaultNixGuardTarget(env: NodeJS.ProcessEnv = process.env): NixGuardTarget {
  return { selection: selectFlake(undefined, env) };
}

/**
 * The first step of both profile-guard lanes: nix must be on PATH (else the lane is blocked naming `nix`), and the
 * local build limits must be valid; both end up in environment.txt.
 */
export async function prepareNix(ctx: LaneContext<NixGuardTarget>): Promise<NixBuildSettings> {
  return ctx.step('nix is available with local builders only', async () => {
    const version = await execa('nix', ['--version'], { reject: false, stdin: 'ignore' });
    if (version.exitCode !== 0) ctx.block(['nix']);
    const settings = localBuildSettings();
    ctx.recordEnvironment({
      nix_version: version.stdout.trim(),
      flake: ctx.target.selection.flake,
      nix_max_jobs: `${settings.maxJobs} (${settings.source.maxJobs})`,
      nix_build_cores: `${settings.cores} (${settings.source.cores})`,
    });
    ctx.log(`${version.stdout.trim()}; max-jobs ${settings.maxJobs}, cores ${settings.cores}`);
    return settings;
  });
}
