import { evalGuardExpressions } from '../profiles/canonical-attributes.ts';
import type { NixBuildSettings } from './nix-build-settings.ts';
import { type FlakeSelection, nixErrorSummary, runNix } from './nix-command.ts';
import { type AttributeResult, mapLimited } from './profile-guard-result.ts';

export interface EvalGuardOptions {
  readonly selection: FlakeSelection;
  /** attribute paths to `nix eval --raw`; defaults to every canonical entrypoint */
  readonly attributes?: readonly string[];
  readonly settings?: NixBuildSettings;
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

/**
 * canonical-profile-eval-guards: `nix eval --no-eval-cache --raw <flake>#<attribute>` for every canonical
 * entrypoint, so a broken attribute fails before any long-running harness work starts. Every attribute is
 * evaluated on its own, so each failure names its attribute.
 */
export async function runEvalGuards(options: EvalGuardOptions): Promise<AttributeResult[]> {
  const { flake, offline } = options.selection;
  const attributes = options.attributes ?? evalGuardExpressions();
  return mapLimited(attributes, options.concurrency ?? 2, async (attribute) => {
    const t0 = performance.now();
    const r = await runNix('eval', ['--no-eval-cache', '--raw', `${flake}#${attribute}`], {
      offline,
      settings: options.settings,
      signal: options.signal,
    });
    const durationMs = Math.round(performance.now() - t0);
    if (r.exitCode === 0 && r.stdout.trim() !== '') return { attribute, ok: true, value: r.stdout.trim(), durationMs };
    return { attribute, ok: false, error: nixErrorSummary(r.stderr), durationMs };
  });
}
