import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceFlake, runNix } from '../../guards/nix-command.ts';
import { laneChecks } from '../../helpers/check-registration.ts';
import {
  canonicalApps,
  canonicalChecks,
  canonicalConfigurations,
  canonicalPackages,
} from '../../profiles/canonical-attributes.ts';
import { canonicalProfile, canonicalProfiles } from '../../profiles/canonical-profiles.ts';
import { harnessTopology } from '../../profiles/topology.ts';

interface NodeDescription {
  hostname: string;
  role: string;
  services: string[];
  components: string[];
}

async function describeConfigurations(): Promise<Record<string, NodeDescription>> {
  const r = await runNix(
    'eval',
    [
      '--json',
      `${referenceFlake}#nixosConfigurations`,
      '--apply',
      'cs: builtins.mapAttrs (_: c: { inherit (c.config.ultracloud) hostname role services components; }) cs',
    ],
    { offline: true },
  );
  if (r.exitCode !== 0) throw new Error(`nix eval of the reference flake failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('the reference flake', () => {
  it('names every canonical entrypoint and companion image the profiles name', () => {
    for (const p of canonicalProfiles) {
      for (const e of p.entrypoints) {
        if (e.kind === 'nixosConfiguration') expect(canonicalConfigurations).toContain(e.name);
        if (e.kind === 'app') expect(canonicalApps).toContain(e.name);
        if (e.kind === 'package') expect(canonicalPackages).toContain(e.name);
        if (e.kind === 'check') expect(canonicalChecks).toContain(e.name);
      }
      for (const c of p.companionImages) expect(canonicalConfigurations).toContain(c);
    }
  });

  it('runs the six-node topology: each node with the role and services of the harness topology', async () => {
    const configs = await describeConfigurations();
    for (const node of harnessTopology) {
      expect(configs[node.name], node.name).toMatchObject({ hostname: node.name, role: node.role });
      expect(configs[node.name]?.services.toSorted(), node.name).toEqual(node.services.toSorted());
    }
  });

  it('keeps the single-node surface to its profile and the installer to its components', async () => {
    const configs = await describeConfigurations();
    const single = canonicalProfile('single-node');
    for (const name of ['single-node-quickstart', 'netboot-all-in-one']) {
      expect(configs[name]?.services).toEqual(expect.arrayContaining(single.required));
      for (const excluded of single.excluded) expect(configs[name]?.services).not.toContain(excluded);
    }
    expect(configs['ultracloud-iso']).toMatchObject({
      role: 'installer',
      components: ['first-boot-automation', 'install-target'],
    });
    expect(configs['baremetal-qemu-control-plane']?.services).toEqual(
      expect.arrayContaining(['deployer', 'nix-agent']),
    );
  });

  it('makes every lane check an impure derivation, the guards pure, and baremetal-iso-e2e a runner that runs nothing', async () => {
    const r = await runNix(
      'eval',
      [
        '--json',
        `${referenceFlake}#checks.x86_64-linux`,
        '--apply',
        'cs: builtins.mapAttrs (_: c: c.__impure or false) cs',
      ],
      { offline: true },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const impure = JSON.parse(r.stdout) as Record<string, boolean>;
    expect(impure).toEqual({
      ...Object.fromEntries(canonicalChecks.map((c) => [c, false])),
      ...Object.fromEntries(laneChecks.map((c) => [c, true])),
    });
    const built = await runNix(
      'build',
      ['--no-link', '--json', `${referenceFlake}#checks.x86_64-linux.baremetal-iso-e2e`],
      {
        offline: true,
      },
    );
    expect(built.exitCode, built.stderr).toBe(0);
    const out = (JSON.parse(built.stdout) as Array<{ outputs: { out: string } }>)[0]?.outputs.out ?? '';
    expect(existsSync(join(out, 'bin', 'baremetal-iso-e2e'))).toBe(true);
    expect(existsSync(join(out, 'result.json'))).toBe(false);
  });
});
