import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/proof-root.ts';
import { InvalidInputError, serviceNames, type TargetDescriptor } from '../../profiles/descriptor-schema.ts';
import { labServicePorts, referenceLabDescriptor } from '../../profiles/descriptors/reference-lab.ts';
import { loadDescriptorFile, loadTargetDescriptor, selectTarget } from '../../profiles/load-descriptor.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ucp-descriptors-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const addresses = Object.fromEntries(
  ['node01', 'node02', 'node03', 'node04', 'node05', 'node06'].map((n, i) => [n, `10.77.0.${11 + i}`]),
);
const labOptions = () => ({ addresses, labRoot: join(dir, 'lab', 'abcd') });

function monorepoCheckout(): string {
  const flake = join(dir, 'ultracloud');
  mkdirSync(flake);
  writeFileSync(join(flake, 'flake.nix'), '{ outputs = _: { }; }\n');
  return flake;
}

function errorOf(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  throw new Error('expected an InvalidInputError');
}

describe('reference-lab descriptor', () => {
  it('places the six-node topology at the addresses the lab gave, with the fixed service ports', () => {
    const d = referenceLabDescriptor(labOptions());
    expect(d.kind).toBe('reference-lab');
    expect(d.bindings).toBeUndefined();
    expect(d.flake).toBe(join(projectRoot, 'lab'));
    const node01 = d.nodes[0] as TargetDescriptor['nodes'][number];
    expect(node01.services.chainfire).toEqual({ host: '10.77.0.11', port: 7000, scheme: 'http' });
    expect(node01.extraEndpoints?.['chainfire.etcd']).toEqual({ host: '10.77.0.11', port: 2379, scheme: 'etcd' });
    expect(node01.console).toEqual({ kind: 'file', path: join(dir, 'lab', 'abcd', 'nodes', 'node01', 'console.log') });
    expect(node01.ssh).toEqual({ host: '10.77.0.11', port: 22, user: 'root' });
    expect(d.nodes[5]?.extraEndpoints?.['flashdns.dns']).toEqual({ host: '10.77.0.16', port: 53, scheme: 'dns' });
    expect(d.nodes[5]?.services.k8shost?.port).toBe(labServicePorts.k8shost);
  });

  it('gives every service its own port', () => {
    expect(Object.keys(labServicePorts).sort()).toEqual([...serviceNames].sort());
    expect(new Set(Object.values(labServicePorts)).size).toBe(serviceNames.length);
  });

  it('names the node whose address is missing', () => {
    const { node03: _, ...rest } = addresses;
    expect(() => referenceLabDescriptor({ ...labOptions(), addresses: rest })).toThrow(
      /no address for node\(s\) node03/,
    );
  });
});

describe('target selection from the environment', () => {
  it('ULTRACLOUD_FLAKE selects the monorepo with every attribute and command the seed names', () => {
    const flake = monorepoCheckout();
    const d = loadTargetDescriptor({ ULTRACLOUD_FLAKE: flake, ULTRACLOUD_WORK_ROOT: join(dir, 'work') });
    expect(d.kind).toBe('ultracloud-monorepo');
    expect(d.flake).toBe(flake);
    expect(d.attributes.checks).toEqual(
      [
        'canonical-profile-eval-guards',
        'canonical-profile-build-guards',
        'supported-surface-guard',
        'portable-control-plane-regressions',
        'deployer-bootstrap-e2e',
        'host-lifecycle-e2e',
        'deployer-vm-smoke',
        'deployer-vm-rollback',
        'fleet-scheduler-e2e',
        'baremetal-iso-e2e',
      ].map((c) => `checks.x86_64-linux.${c}`),
    );
    expect(d.attributes.apps).toEqual(['single-node-quickstart', 'single-node-trial']);
    expect(d.attributes.packages).toEqual(['single-node-trial-vm']);
    for (const lane of [
      'baremetal-iso',
      'fresh-smoke',
      'fresh-demo-vm-webapp',
      'fresh-matrix',
      'rollout-soak',
      'stop',
    ]) {
      expect(d.attributes.clusterLanes).toContain(lane);
    }
    expect(d.attributes.commands).toContain('./nix/test-cluster/run-publishable-kvm-suite.sh');
    expect(Object.keys(d.attributes.profiles)).toEqual([
      'single-node dev',
      '3-node HA control plane',
      'bare-metal bootstrap',
    ]);
  });

  it('boots monorepo nodes from nixos-vm-runner and reaches them on loopback only, through distinct forwards', () => {
    const d = loadTargetDescriptor({ ULTRACLOUD_FLAKE: monorepoCheckout(), ULTRACLOUD_WORK_ROOT: join(dir, 'work') });
    const hostPorts: number[] = [];
    for (const n of d.nodes) {
      expect(n.launcher.kind).toBe('nixos-vm-runner');
      if (n.launcher.kind !== 'nixos-vm-runner') continue;
      expect(n.launcher.attribute).toBe(
        `${d.flake}/nix/test-cluster#nixosConfigurations.${n.name}.config.system.build.vm`,
      );
      expect(n.ssh.host).toBe('127.0.0.1');
      for (const e of [...Object.values(n.services), ...Object.values(n.extraEndpoints ?? {})])
        expect(e?.host).toBe('127.0.0.1');
      const forwards = n.launcher.hostForwards ?? [];
      expect(forwards.map((f) => f.hostPort)).toContain(n.ssh.port);
      for (const e of Object.values(n.services)) expect(forwards.map((f) => f.hostPort)).toContain(e?.port);
      hostPorts.push(...forwards.filter((f) => f.protocol === 'tcp').map((f) => f.hostPort));
    }
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('rejects an ULTRACLOUD_FLAKE that does not exist or holds no flake.nix, naming the variable', () => {
    const missing = errorOf(() => loadTargetDescriptor({ ULTRACLOUD_FLAKE: join(dir, 'nope') }));
    expect(missing.fields).toEqual(['ULTRACLOUD_FLAKE']);
    expect(missing.message).toMatch(/^ULTRACLOUD_FLAKE=".*nope": no such directory/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(errorOf(() => loadTargetDescriptor({ ULTRACLOUD_FLAKE: empty })).message).toMatch(/holds no flake\.nix/);
  });

  it('defaults to the reference lab, which needs the booted lab to be described', () => {
    expect(selectTarget({})).toEqual({ kind: 'reference-lab' });
    expect(errorOf(() => loadTargetDescriptor({})).message).toContain(
      'ULTRACLOUD_FLAKE nor ULTRACLOUD_TARGET_DESCRIPTOR',
    );
    expect(loadTargetDescriptor({}, labOptions()).kind).toBe('reference-lab');
  });

  it('ULTRACLOUD_TARGET_DESCRIPTOR wins over ULTRACLOUD_FLAKE', () => {
    const file = join(dir, 'target.json');
    writeFileSync(file, JSON.stringify(referenceLabDescriptor({ ...labOptions(), name: 'lab-from-file' })));
    const d = loadTargetDescriptor({ ULTRACLOUD_TARGET_DESCRIPTOR: file, ULTRACLOUD_FLAKE: monorepoCheckout() });
    expect(d.name).toBe('lab-from-file');
  });
});

describe('loadDescriptorFile', () => {
  it('round-trips a descriptor through JSON', () => {
    const file = join(dir, 'target.json');
    const d = referenceLabDescriptor(labOptions());
    writeFileSync(file, JSON.stringify(d, null, 2));
    expect(loadDescriptorFile(file)).toEqual(d);
  });

  it('names the file and the offending fields of a broken descriptor', () => {
    const file = join(dir, 'broken.json');
    const d = structuredClone(referenceLabDescriptor(labOptions())) as unknown as {
      nodes: Array<{ ssh: { port: number }; role: string; services: Record<string, { port: number }> }>;
    };
    (d.nodes[2] as (typeof d.nodes)[number]).ssh.port = 70000;
    (d.nodes[3] as (typeof d.nodes)[number]).role = 'storage';
    (d.nodes[4] as (typeof d.nodes)[number]).services.plasmavmc = { port: 7700 };
    writeFileSync(file, JSON.stringify(d));
    const err = errorOf(() => loadDescriptorFile(file));
    expect(err.fields).toEqual(['nodes[2].ssh.port', 'nodes[3].role', 'nodes[4].services.plasmavmc.host']);
    expect(err.message).toContain(`invalid target descriptor ${file}:`);
    expect(err.message).toContain('nodes[2].ssh.port: Too big');
  });

  it('says when the file is missing or not JSON', () => {
    expect(errorOf(() => loadDescriptorFile(join(dir, 'absent.json'))).message).toMatch(/cannot be read \(ENOENT\)/);
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ "name": ');
    expect(errorOf(() => loadDescriptorFile(file)).message).toMatch(/is not JSON/);
  });
});
