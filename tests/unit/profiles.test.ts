import { describe, expect, it } from 'vitest';
import {
  CanonicalProfile,
  canonicalProfile,
  canonicalProfiles,
  entrypointText,
  profileEntrypointTexts,
} from '../../profiles/canonical-profiles.ts';
import { InvalidInputError, parseOrExplain } from '../../profiles/descriptor-schema.ts';
import {
  baremetalSequence,
  catalogueEntry,
  MarkerCatalogueEntry,
  markerCatalogue,
} from '../../profiles/marker-catalogue.ts';
import { bootstrapNode, harnessTopology, nodesRunning, Topology } from '../../profiles/topology.ts';

/** the seed's "Canonical Profiles" table, cell by cell */
const seedTable = {
  'single-node dev': {
    entrypoints: [
      'nix run .#single-node-quickstart',
      'nix run .#single-node-trial',
      'nix build .#single-node-trial-vm',
      'nixosConfigurations.single-node-quickstart',
    ],
    companion: ['netboot-all-in-one'],
    required: 'chainfire, flaredb, iam, plasmavmc, prismnet',
    optional: 'lightningstor, coronafs, flashdns, fiberlb, apigateway, nightlight, creditservice, k8shost',
  },
  '3-node HA control plane': {
    entrypoints: ['nixosConfigurations.node01', 'nixosConfigurations.node02', 'nixosConfigurations.node03'],
    companion: ['netboot-control-plane'],
    required: 'chainfire, flaredb, iam, nix-agent, deployer',
    optional:
      'fleet-scheduler, node-agent, prismnet, flashdns, fiberlb, plasmavmc, lightningstor, coronafs, k8shost, apigateway, nightlight, creditservice',
  },
  'bare-metal bootstrap': {
    entrypoints: [
      'nix run ./nix/test-cluster#cluster -- baremetal-iso',
      'nixosConfigurations.ultracloud-iso',
      'nixosConfigurations.baremetal-qemu-control-plane',
      'nixosConfigurations.baremetal-qemu-worker',
      'checks.x86_64-linux.baremetal-iso-e2e',
    ],
    companion: [],
    required: 'deployer, first-boot-automation, install-target, nix-agent',
    optional: 'node-agent, fleet-scheduler',
  },
};

describe('canonical profiles', () => {
  it('are exactly the three profiles of the seed table, cell by cell', () => {
    expect(canonicalProfiles.map((p) => p.name)).toEqual(Object.keys(seedTable));
    for (const p of canonicalProfiles) {
      const row = seedTable[p.name as keyof typeof seedTable];
      expect(p.entrypoints.map(entrypointText), p.name).toEqual(row.entrypoints);
      expect(p.companionImages, p.name).toEqual(row.companion);
      expect(p.required.join(', '), p.name).toBe(row.required);
      expect(p.optional.join(', '), p.name).toBe(row.optional);
    }
  });

  it('place the HA control plane the way the seed says, and keep the rollout stack out of single-node', () => {
    expect(canonicalProfile('ha-control-plane').placement).toEqual({
      everyControlPlaneNode: ['chainfire', 'flaredb', 'iam', 'nix-agent'],
      bootstrapNode: ['deployer'],
    });
    expect(canonicalProfile('single-node').excluded).toEqual([
      'deployer',
      'nix-agent',
      'node-agent',
      'fleet-scheduler',
    ]);
    expect(profileEntrypointTexts()['single-node dev']).toContain('nixosConfigurations.netboot-all-in-one');
  });

  it('reject a broken profile, naming the offending field', () => {
    const broken = structuredClone(canonicalProfiles);
    (broken[1] as { required: string[] }).required[2] = 'iam-server';
    (broken[2] as { entrypoints: unknown[] }).entrypoints[0] = { kind: 'cluster-lane' };
    const err = catchError(() => parseOrExplain(CanonicalProfile.array(), broken, 'canonical profiles'));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).fields).toEqual(['[1].required[2]', '[2].entrypoints[0].lane']);
  });

  it('reject a component both required and optional', () => {
    const p = { ...canonicalProfile('single-node'), optional: ['chainfire'] };
    expect(() => parseOrExplain(CanonicalProfile, p, 'profile')).toThrow(/optional: a component cannot be both/);
  });
});

describe('six-node harness topology', () => {
  it('has node01-03 control plane, node04-05 workers, node06 gateway, node01 bootstrapping', () => {
    expect(harnessTopology.map((n) => `${n.name}:${n.role}`)).toEqual([
      'node01:control-plane',
      'node02:control-plane',
      'node03:control-plane',
      'node04:worker',
      'node05:worker',
      'node06:gateway',
    ]);
    expect(bootstrapNode().name).toBe('node01');
  });

  it('runs each service where the seed and the profiles put it', () => {
    const on = (s: Parameters<typeof nodesRunning>[0]) => nodesRunning(s).map((n) => n.name);
    for (const s of ['flaredb', 'iam', 'nix-agent'] as const) expect(on(s)).toEqual(['node01', 'node02', 'node03']);
    // three voters plus node04's standby member for the live-membership proof
    expect(on('chainfire')).toEqual(['node01', 'node02', 'node03', 'node04']);
    expect(on('deployer')).toEqual(['node01']);
    expect(on('fleet-scheduler')).toEqual(['node01']);
    for (const s of ['node-agent', 'plasmavmc', 'prismnet', 'coronafs'] as const)
      expect(on(s)).toEqual(['node04', 'node05']);
    // a LightningStor replica on node05 besides the gateway's
    expect(on('lightningstor')).toEqual(['node05', 'node06']);
    for (const s of ['apigateway', 'flashdns', 'fiberlb', 'nightlight', 'creditservice', 'k8shost'] as const) {
      expect(on(s)).toEqual(['node06']);
    }
  });

  it('rejects a broken topology, naming the offending field', () => {
    const broken = structuredClone(harnessTopology);
    (broken[4] as { services: string[] }).services.push('firecracker');
    const err = catchError(() => parseOrExplain(Topology, broken, 'topology'));
    expect((err as InvalidInputError).fields).toEqual(['[4].services[5]']);
    const dup = structuredClone(harnessTopology);
    (dup[5] as { name: string }).name = 'node01';
    (dup[2] as { bootstrap: boolean }).bootstrap = true;
    const dupErr = catchError(() => parseOrExplain(Topology, dup, 'topology')) as InvalidInputError;
    expect(dupErr.fields).toEqual(['[5].name', '(root)']);
    expect(dupErr.message).toContain('duplicate node "node01"');
    expect(dupErr.message).toContain('exactly one bootstrap node, found 2');
  });
});

describe('marker catalogue', () => {
  it("holds the seed's bare-metal sequence and the hardware-smoke markers, in order", () => {
    expect(catalogueEntry('baremetal-iso').expected).toEqual([
      'pre-install.boot.*',
      'pre-install.phone-home.complete.*',
      'install.bundle-downloaded.*',
      'install.disko.complete.*',
      'install.nixos-install.complete.*',
      'reboot.*',
      'post-install.boot.*',
      'desired-system-active.*',
    ]);
    expect(catalogueEntry('hardware-smoke').expected).toEqual([
      'pre-install.boot.*',
      'pre-install.phone-home.complete.*',
      'install.disko.complete.*',
      'reboot.*',
      'post-install.boot.*',
      'desired-system-active.*',
    ]);
    expect(catalogueEntry('hardware-smoke').failure).toContain('install.failed.*');
    expect(baremetalSequence('node01')[0]).toBe('pre-install.boot.node01');
  });

  it('rejects a malformed pattern, naming the entry and position', () => {
    const broken = structuredClone(markerCatalogue);
    (broken[1] as { failure: string[] }).failure[1] = 'install.*.failed';
    const err = catchError(() => parseOrExplain(MarkerCatalogueEntry.array(), broken, 'marker catalogue'));
    expect((err as InvalidInputError).fields).toEqual(['[1].failure[1]']);
    expect((err as Error).message).toContain('may only end in ".*"');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
