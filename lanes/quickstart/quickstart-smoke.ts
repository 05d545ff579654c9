import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { ProductSurface, quickstartServices } from '../../contracts/quickstart-target.ts';
import { nixErrorSummary, runNix } from '../../guards/nix-command.ts';
import { defineLane } from '../../harness/define.ts';
import { type NixGuardTarget, prepareNix } from '../guards/nix-guard-target.ts';
import { rolloutStack } from './single-node-quickstart.ts';

/** Output names the seed's `rg` picks out of `nix flake show`. */
const surfacePattern = /quickstart|single-node|trial|container|oci/i;
/** An OCI or Docker image is not the public trial surface (it cannot carry a guest kernel and host KVM). */
const ociPattern = /(^|[-_.])(oci|docker)([-_.]|$)/i;

const system = 'x86_64-linux';
const trialVm = 'single-node-trial-vm';
const quickstartConfig = 'nixosConfigurations.single-node-quickstart';

/** the system's manifest, read for its services: components are the in-guest lane's concern */
const SystemSurface = ProductSurface.partial({ components: true });

const BuildResult = z.array(z.object({ drvPath: z.string(), outputs: z.object({ out: z.string() }) }));

/** `nix flake show --json` as a list of output paths and their types ("app", "derivation", "nixos-configuration"). */
export function flakeOutputs(show: unknown, prefix: string[] = []): Array<{ path: string; type: string }> {
  if (!show || typeof show !== 'object') return [];
  const node = show as Record<string, unknown>;
  if (typeof node.type === 'string' && prefix.length) return [{ path: prefix.join('.'), type: node.type }];
  return Object.entries(node).flatMap(([k, v]) => flakeOutputs(v, [...prefix, k]));
}

/**
 * quickstart-smoke, as the seed runs it: the flake shows its quickstart, single-node and trial outputs (and no
 * OCI/Docker image as the trial surface), `nix build .#single-node-trial-vm` realizes, and the drvPath of
 * nixosConfigurations.single-node-quickstart evaluates; the trial VM carries exactly that system.
 */
export const quickstartSmoke = defineLane<NixGuardTarget>({
  name: 'quickstart-smoke',
  group: 'quickstart',
  summary:
    'the flake shows the quickstart, single-node and trial outputs, single-node-trial-vm builds and the quickstart configuration evaluates',
  async run(ctx) {
    const settings = await prepareNix(ctx);
    const { flake, offline } = ctx.target.selection;
    const nix = (sub: string, args: string[]) => runNix(sub, args, { offline, settings, signal: ctx.signal });

    await ctx.step(
      'the flake shows the quickstart, single-node and trial outputs, and no OCI or Docker image as the trial surface',
      async () => {
        const show = await nix('flake', ['show', '--json', flake]);
        ctx.check('nix flake show succeeds', show.exitCode === 0, nixErrorSummary(show.stderr));
        const outputs = flakeOutputs(JSON.parse(show.stdout || '{}'));
        const surface = outputs.filter((o) => surfacePattern.test(o.path));
        await ctx.artifact('flake-show-quickstart.txt', `${surface.map((o) => `${o.path}: ${o.type}`).join('\n')}\n`);
        const has = (path: string, type: string) => outputs.some((o) => o.path === path && o.type === type);
        ctx.check(`the flake shows ${quickstartConfig}`, has(quickstartConfig, 'nixos-configuration'));
        ctx.check(`the flake shows packages.${system}.${trialVm}`, has(`packages.${system}.${trialVm}`, 'derivation'));
        for (const app of ['single-node-quickstart', 'single-node-trial'])
          ctx.check(`the flake shows apps.${system}.${app}`, has(`apps.${system}.${app}`, 'app'));
        const oci = outputs.filter(
          (o) => /^(packages|apps)\./.test(o.path) && ociPattern.test(o.path.split('.').at(-1) ?? ''),
        );
        ctx.check(
          'no OCI or Docker image is a package or app of the flake',
          oci.length === 0,
          oci.map((o) => o.path).join(', '),
        );
      },
    );

    const toplevel = await ctx.step(`the drvPath of ${quickstartConfig} evaluates`, async () => {
      const attr = `${flake}#${quickstartConfig}.config.system.build.toplevel.drvPath`;
      const r = await nix('eval', ['--no-eval-cache', '--raw', attr]);
      ctx.check('the drvPath evaluates', r.exitCode === 0, nixErrorSummary(r.stderr));
      const drv = r.stdout.trim();
      ctx.check('the drvPath is a derivation in the store', /^\/nix\/store\/[a-z0-9]{32}-[^/]+\.drv$/.test(drv), drv);
      ctx.check('the derivation file exists', existsSync(drv), drv);
      const outs = await execa('nix-store', ['--query', '--outputs', drv], { reject: false, stdin: 'ignore' });
      const out = outs.stdout.trim().split('\n')[0] ?? '';
      await ctx.artifact('single-node-quickstart-drv.txt', `${drv}\n${out}\n`);
      return { drv, out };
    });

    await ctx.step(`nix build .#${trialVm} realizes the trial VM of that system`, async () => {
      const r = await nix('build', ['--no-link', '--json', `${flake}#${trialVm}`]);
      ctx.check(`nix build .#${trialVm} succeeds`, r.exitCode === 0, nixErrorSummary(r.stderr));
      const built = BuildResult.parse(JSON.parse(r.stdout));
      const out = built[0]?.outputs.out ?? '';
      ctx.check('the build printed a store path that exists', out.startsWith('/nix/store/') && existsSync(out), out);
      const closure = await execa('nix-store', ['--query', '--requisites', out], { reject: false, stdin: 'ignore' });
      const paths = closure.stdout.split('\n');
      ctx.check(
        `the trial VM's closure holds the ${quickstartConfig} system`,
        closure.exitCode === 0 && paths.includes(toplevel.out),
        toplevel.out,
      );
      const manifestPath = join(toplevel.out, 'etc/ultracloud/product-surface.json');
      const text = await readFile(manifestPath, 'utf8').catch(() => '');
      const parsed = SystemSurface.safeParse(text ? JSON.parse(text) : null);
      ctx.check('the system ships a product-surface manifest', parsed.success, manifestPath);
      await ctx.artifact('product-surface.json', text || '{}\n');
      const services = parsed.data?.services ?? [];
      for (const s of quickstartServices)
        ctx.check(`the trial surface runs ${s}`, services.includes(s), services.join(', '));
      for (const s of rolloutStack)
        ctx.check(`the trial surface does not run ${s}`, !services.includes(s), services.join(', '));
      await ctx.artifact(`${trialVm}.txt`, `${out}\n`);
    });
  },
});
