import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidEnvironmentError, localBuildSettings } from '../../guards/nix-build-settings.ts';
import type { AttributeResult } from '../../guards/profile-guard-result.ts';
import { surveySupportedSurface } from '../../guards/supported-surface.ts';
import { type GuardPathProfileName, guardPathProfiles } from '../../profiles/guard-paths.ts';
import { parseCommandArgs, UsageError } from '../usage.ts';

export const summary = 'supported-surface, eval and build guards';

const help = `usage: ucproof guard <guard> [options]

guards:
  supported-surface --root DIR [--layout NAME] [--engine ripgrep|node] [--json]
      unfinished wording in docs and harness files, stub responses in shipped server code, completeness
      markers in the FiberLB/PrismNet/PlasmaVMC/K8sHost servers, archived helpers in the product surface,
      legacy building blocks or archived helpers presented as canonical entrypoints; a category of the
      layout with no file scanned fails too.
      --layout: ${Object.keys(guardPathProfiles).join(' | ')} (default ultracloud-monorepo)
      --engine: what finds the candidate lines: ripgrep (rg, the default when installed) or node (a walk
      and read in Node); both report the same findings
  eval [--flake PATH] [--json]
      canonical-profile-eval-guards: nix eval of every canonical entrypoint
  build [--flake PATH] [--json]
      canonical-profile-build-guards: nix build of the single-node VM, HA configs, ISO and bare-metal outputs

--flake defaults to ULTRACLOUD_FLAKE, else the reference flake in lab/. Builds stay local; max-jobs and cores
come from the CPU count unless ULTRACLOUD_LOCAL_NIX_MAX_JOBS, ULTRACLOUD_LOCAL_NIX_BUILD_CORES,
PHOTON_CLUSTER_NIX_MAX_JOBS or PHOTON_CLUSTER_NIX_BUILD_CORES are set (positive integers).
ULTRACLOUD_NIX_OFFLINE=1 adds the offline options (no substituters, no sandbox) for other flakes.

exit status: 0 clean, 1 findings, an empty category or failed attributes, 2 bad arguments`;

export async function run(argv: string[]): Promise<number> {
  const [guard, ...rest] = argv;
  if (guard === '--help' || guard === '-h') {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  if (guard === 'supported-surface') return supportedSurface(rest);
  if (guard === 'eval' || guard === 'build') return profileGuard(guard, rest);
  throw new UsageError(`${guard ? `unknown guard "${guard}"` : 'missing guard'}\n\n${help}`);
}

async function supportedSurface(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    options: {
      root: { type: 'string' },
      layout: { type: 'string' },
      engine: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (values.engine !== undefined && values.engine !== 'ripgrep' && values.engine !== 'node') {
    throw new UsageError(`--engine must be ripgrep or node, got "${values.engine}"`);
  }
  if (!values.root) throw new UsageError('--root DIR is required');
  const root = resolve(values.root);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UsageError(`--root "${values.root}" is not an existing directory`);
  }
  try {
    accessSync(root, constants.R_OK | constants.X_OK);
  } catch (err) {
    throw new UsageError(`--root "${values.root}" cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
  const layout = values.layout ?? 'ultracloud-monorepo';
  if (!Object.hasOwn(guardPathProfiles, layout)) {
    throw new UsageError(`--layout must be one of ${Object.keys(guardPathProfiles).join(', ')}, got "${layout}"`);
  }
  const paths = guardPathProfiles[layout as GuardPathProfileName];
  const { findings, scanned, expected } = await surveySupportedSurface(root, paths, values.engine);
  const empty = expected.filter((c) => scanned[c] === 0);
  if (values.json) {
    const out = {
      findings: findings.map(({ rule, file, line }) => ({ rule, file, line })),
      scanned: Object.fromEntries(expected.map((c) => [c, scanned[c]])),
      emptyCategories: empty,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    for (const f of findings) process.stdout.write(`${f.file}:${f.line}: ${f.rule}: ${f.excerpt}\n`);
    for (const c of empty) process.stdout.write(`no file scanned as ${c} (${paths[c].join(', ')})\n`);
    const counts = expected.map((c) => `${c} ${scanned[c]}`).join(', ');
    process.stderr.write(`supported-surface-guard: ${findings.length} finding(s) under ${root} (files: ${counts})\n`);
  }
  return findings.length > 0 || empty.length > 0 ? 1 : 0;
}

async function profileGuard(guard: 'eval' | 'build', argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { options: { flake: { type: 'string' }, json: { type: 'boolean' } } });
  let settings: ReturnType<typeof localBuildSettings>;
  try {
    settings = localBuildSettings();
  } catch (err) {
    if (err instanceof InvalidEnvironmentError) throw new UsageError(err.message);
    throw err;
  }
  if (values.flake !== undefined) checkFlakeFlag(values.flake);
  // loaded here, not at start-up: supported-surface needs neither nix nor execa
  const { selectFlake } = await import('../../guards/nix-command.ts');
  const selection = selectFlake(values.flake);
  const results: AttributeResult[] =
    guard === 'eval'
      ? await (await import('../../guards/canonical-profile-eval.ts')).runEvalGuards({ selection, settings })
      : await (await import('../../guards/canonical-profile-build.ts')).runBuildGuards({ selection, settings });
  const name = guard === 'eval' ? 'canonical-profile-eval-guards' : 'canonical-profile-build-guards';
  const failed = results.filter((r) => !r.ok);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ guard: name, flake: selection.flake, settings, results })}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.attribute}${r.ok ? ` ${r.value}` : ''}\n`);
      if (!r.ok) process.stdout.write(`${r.error?.replace(/^/gm, '       ')}\n`);
    }
    process.stderr.write(
      `${name}: ${results.length - failed.length}/${results.length} attributes ok (${selection.flake}, max-jobs ${settings.maxJobs}, cores ${settings.cores})\n`,
    );
  }
  return failed.length > 0 ? 1 : 0;
}

/** --flake: a flake reference with a scheme is nix's to resolve; a path must be a directory with a flake.nix. */
function checkFlakeFlag(raw: string): void {
  if (/^[a-z][a-z0-9+]*:/.test(raw) && !raw.startsWith('path:')) return;
  const path = resolve(raw.replace(/^path:/, ''));
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new UsageError(`--flake "${raw}": no such directory (${path})`);
  }
  if (!existsSync(join(path, 'flake.nix'))) throw new UsageError(`--flake "${raw}": ${path} holds no flake.nix`);
}
