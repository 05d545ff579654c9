import { existsSync, statSync } from 'node:fs';
import { type SurfaceFinding, surveySupportedSurface } from '../../guards/supported-surface.ts';
import type { SurfaceRuleId } from '../../guards/surface-rules.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { type GuardPaths, monorepoGuardPaths, referenceLabGuardPaths } from '../../profiles/guard-paths.ts';

export interface SurfaceTarget {
  readonly root: string;
  readonly paths: GuardPaths;
}

/**
 * The tree to scan: ULTRACLOUD_SURFACE_ROOT, else ULTRACLOUD_FLAKE when it is a local directory (both with the
 * monorepo layout), else this repository with the reference-lab layout.
 */
export function defaultSurfaceTarget(env: NodeJS.ProcessEnv = process.env): SurfaceTarget {
  const monorepo = env.ULTRACLOUD_SURFACE_ROOT ?? env.ULTRACLOUD_FLAKE?.replace(/^path:/, '');
  if (monorepo && existsSync(monorepo) && statSync(monorepo).isDirectory()) {
    return { root: monorepo, paths: monorepoGuardPaths };
  }
  return { root: projectRoot, paths: referenceLabGuardPaths };
}

const rules: { id: SurfaceRuleId; property: string }[] = [
  { id: 'unfinished-wording', property: 'no unfinished wording in published docs, add-on docs or harness files' },
  { id: 'server-stub', property: 'no stub responses in shipped server code' },
  {
    id: 'completeness-marker',
    property: 'no completeness markers in the FiberLB, PrismNet, PlasmaVMC, K8sHost servers',
  },
  { id: 'archived-helper', property: 'no archived helper in the default product surface' },
  {
    id: 'legacy-entrypoint',
    property: 'no legacy building block or archived helper is presented as a canonical entrypoint',
  },
];

/**
 * supported-surface-guard: rejects unfinished public-surface wording, stub responses in shipped server code,
 * high-signal completeness markers in the supported provider/backend servers, and archived helpers re-entering
 * the default product surface.
 */
export const supportedSurfaceGuard = defineLane<SurfaceTarget>({
  name: 'supported-surface-guard',
  group: 'guards',
  summary: 'rejects unfinished wording, stubs, completeness markers and archived helpers on the supported surface',
  async run(ctx: LaneContextWithWaits<SurfaceTarget>) {
    ctx.recordEnvironment({ surface_root: ctx.target.root, surface_layout: ctx.target.paths.name });
    const { paths } = ctx.target;
    const scan = await ctx.step('scan the supported surface', async () => {
      const found = await surveySupportedSurface(ctx.target.root, paths);
      await ctx.artifact('findings.json', {
        root: ctx.target.root,
        layout: paths.name,
        scanned: found.scanned,
        findings: found.findings,
      });
      const counts = found.expected.map((c) => `${c} ${found.scanned[c]}`).join(', ');
      ctx.log(`${found.findings.length} finding(s) under ${ctx.target.root} (${paths.name} layout; files: ${counts})`);
      ctx.recordEnvironment(
        Object.fromEntries(found.expected.map((c) => [`surface_files_${c}`, String(found.scanned[c])])),
      );
      return found;
    });
    await ctx.step('every category of the layout was scanned', async () => {
      for (const category of scan.expected) {
        const n = scan.scanned[category];
        ctx.check(
          `the scan read at least one ${category} file`,
          n > 0,
          n > 0
            ? `${n} ${category} file(s) scanned`
            : `no file scanned as ${category} (${paths[category].join(', ')}) under ${ctx.target.root}`,
        );
      }
    });
    const findings = scan.findings;
    for (const rule of rules) {
      await ctx.step(rule.id, async () => {
        const hits = findings.filter((f) => f.rule === rule.id);
        ctx.check(rule.property, hits.length === 0, describe(hits));
      });
    }
  },
});

function describe(hits: SurfaceFinding[]): string {
  const shown = hits.slice(0, 20).map((f) => `${f.file}:${f.line}: ${f.excerpt}`);
  return hits.length > 20 ? `${shown.join('\n')}\n… and ${hits.length - 20} more` : shown.join('\n');
}
