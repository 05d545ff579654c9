import { describe, expect, it } from 'vitest';
import { referenceFlake, runNix } from '../../guards/nix-command.ts';
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
});
