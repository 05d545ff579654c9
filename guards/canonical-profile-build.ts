import { buildGuardInstallables } from '../profiles/canonical-attributes.ts';
import type { NixBuildSettings } from './nix-build-settings.ts';
import { type FlakeSelection, nixErrorSummary, runNix } from './nix-command.ts';
import type { AttributeResult } from './profile-guard-result.ts';

export interface BuildGuardOptions {
  readonly selection: FlakeSelection;
  /** installables to `nix build`; defaults to the seed's build set */
  readonly installables?: readonly string[];
  readonly settings?: NixBuildSettings;
  readonly signal?: AbortSignal;
}

/**
 * canonical-profile-build-guards: `nix build --no-link --json <flake>#<installable>` for the single-node VM, the
 * HA control-plane configs and companion image, the ISO and bare-metal outputs, one at a time (nix runs the
 * derivations inside each build in parallel within the max-jobs limit), so each failure names its attribute.
 */
export async function runBuildGuards(options: BuildGuardOptions): Promise<AttributeResult[]> {
  const { flake, offline } = options.selection;
  const results: AttributeResult[] = [];
  for (const attribute of options.installables ?? buildGuardInstallables()) {
    const t0 = performance.now();
    const r = await runNix('build', ['--no-link', '--json', `${flake}#${attribute}`], {
      offline,
      settings: options.settings,
      signal: options.signal,
    });
    const durationMs = Math.round(performance.now() - t0);
    const outputs = r.exitCode === 0 ? outputPaths(r.stdout) : [];
    results.push(
      outputs.length > 0
        ? { attribute, ok: true, value: outputs.join(' '), durationMs }
        : { attribute, ok: false, error: nixErrorSummary(r.stderr), durationMs },
    );
  }
  return results;
}

function outputPaths(stdout: string): string[] {
  try {
    const parsed = JSON.parse(stdout) as { outputs?: Record<string, string> }[];
    return parsed.flatMap((b) => Object.values(b.outputs ?? {}));
  } catch {
    return [];
  }
}
