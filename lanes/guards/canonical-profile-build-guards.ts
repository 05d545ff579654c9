import { existsSync } from 'node:fs';
import { runBuildGuards } from '../../guards/canonical-profile-build.ts';
import { failedAttributes } from '../../guards/profile-guard-result.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { type NixGuardTarget, prepareNix } from './nix-guard-target.ts';

/**
 * canonical-profile-build-guards: realizes the single-node VM, the HA control-plane configs and companion image,
 * and the ISO or bare-metal outputs so build-time drift is caught even when no cluster harness is running.
 */
export const canonicalProfileBuildGuards = defineLane<NixGuardTarget>({
  name: 'canonical-profile-build-guards',
  group: 'guards',
  summary: 'realizes the single-node VM, HA configs and companion image, ISO and bare-metal outputs',
  async run(ctx: LaneContextWithWaits<NixGuardTarget>) {
    const settings = await prepareNix(ctx);
    await ctx.step('every canonical output builds locally', async () => {
      const results = await runBuildGuards({
        selection: ctx.target.selection,
        installables: ctx.target.attributes,
        settings,
        signal: ctx.signal,
      });
      await ctx.artifact('build-guards.json', { flake: ctx.target.selection.flake, results });
      for (const r of results.filter((r) => r.ok)) {
        const outputs = (r.value ?? '').split(' ');
        ctx.check(`${r.attribute} is realized in the store`, outputs.every(existsSync), r.value);
      }
      const failed = failedAttributes(results);
      ctx.check(
        'every canonical output builds',
        failed.length === 0,
        failed.map((r) => `${r.attribute}: ${r.error}`).join('\n'),
      );
    });
  },
});
