import { runEvalGuards } from '../../guards/canonical-profile-eval.ts';
import { failedAttributes } from '../../guards/profile-guard-result.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { type NixGuardTarget, prepareNix } from './nix-guard-target.ts';

/**
 * canonical-profile-eval-guards: forces evaluation of every canonical profile entrypoint, so broken attrs fail
 * before any long-running harness work starts.
 */
export const canonicalProfileEvalGuards = defineLane<NixGuardTarget>({
  name: 'canonical-profile-eval-guards',
  group: 'guards',
  summary: 'forces evaluation of every canonical profile entrypoint, so broken attrs fail first',
  async run(ctx: LaneContextWithWaits<NixGuardTarget>) {
    const settings = await prepareNix(ctx);
    await ctx.step('every canonical entrypoint evaluates', async () => {
      const results = await runEvalGuards({
        selection: ctx.target.selection,
        attributes: ctx.target.attributes,
        settings,
        signal: ctx.signal,
      });
      await ctx.artifact('eval-guards.json', { flake: ctx.target.selection.flake, results });
      for (const r of results.filter((r) => r.ok)) {
        const expected = r.attribute.endsWith('.drvPath') ? /^\/nix\/store\/[^/]+\.drv$/ : /^\/nix\/store\/./;
        ctx.check(`${r.attribute} evaluates to a store path`, expected.test(r.value ?? ''), r.value);
      }
      const failed = failedAttributes(results);
      ctx.check(
        'every canonical entrypoint evaluates',
        failed.length === 0,
        failed.map((r) => `${r.attribute}: ${r.error}`).join('\n'),
      );
    });
  },
});
