import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState, type DeployerPort } from '../../contracts/ports/deployer.ts';
import type { Cluster } from '../../contracts/target.ts';
import { referenceFlake, runNix } from '../../guards/nix-command.ts';
import { evaluatedClusterState } from '../../harness/cluster-authoring.ts';
import { defineLane } from '../../harness/define.ts';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { createDeployerPort } from '../../lab/target/bindings/deployer.ts';
import { type FleetServices, startFleetServices, waitForSpread } from './support/fleet-services.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

async function evaluated(): Promise<ClusterState> {
  const r = await runNix('eval', ['--json', `${referenceFlake}#ultracloud.cluster`], { offline: true });
  if (r.exitCode !== 0) throw new Error(`nix eval of ultracloud.cluster failed: ${r.stderr}`);
  return ClusterState.parse(JSON.parse(r.stdout));
}

/** evaluate a cluster module through the reference flake's schema; the error text when evaluation fails */
async function evalModule(module: string): Promise<{ ok: boolean; out: string }> {
  const r = await runNix('eval', ['--json', `${referenceFlake}#lib`, '--apply', `lib: lib.evalCluster (${module})`], {
    offline: true,
  });
  return { ok: r.exitCode === 0, out: r.exitCode === 0 ? r.stdout : r.stderr };
}

const plan = `{ nixos_configuration = "node04"; disko_config_path = "nix/disko/x.sh"; target_disk_by_id = "/dev/disk/by-id/virtio-x"; }`;
const module = (over: { cls?: string; node?: string; svc?: string } = {}) => `{
  name = "t";
  classes.w = ${over.cls ?? `{ install_plan = ${plan}; }`};
  nodes.node04 = ${over.node ?? `{ class = "w"; role = "worker"; hostname = "node04"; }`};
  services.web = ${over.svc ?? `{ replicas = 1; nodes = [ "node04" ]; }`};
}`;

describe('the cluster authoring source (ultracloud.cluster)', () => {
  it('evaluates the reference flake to the generated state: classes with install plans and desired systems, nodes, services', async () => {
    const state = await evaluated();
    expect(Object.keys(state.nodes).sort()).toEqual(['node01', 'node02', 'node03', 'node04', 'node05', 'node06']);
    expect(state.classes['baremetal-qemu-worker']?.desired_system?.target_system).toMatch(
      /^\/nix\/store\/[a-z0-9]{32}-nixos-system-baremetal-qemu-worker$/,
    );
    expect(state.nodes.node04).toEqual({ class: 'harness-node04', role: 'worker', hostname: 'node04' });
    expect(state.services['cluster-smoke']).toEqual({ replicas: 2, command: null, nodes: ['node04'] });
  });

  it('blocks a lane naming ultracloud.cluster when the target flake has no cluster authoring source', async () => {
    const root = await workTempDir('cluster-authoring-');
    try {
      const flake = join(root, 'flake');
      await mkdir(flake, { recursive: true });
      await writeFile(join(flake, 'flake.nix'), '{ outputs = { self }: { }; }\n');
      const lane = defineLane<Cluster>({
        name: 'cluster-authoring-demo',
        group: 'lab',
        summary: 'evaluates ultracloud.cluster',
        async run(ctx) {
          await ctx.step('evaluate', () => evaluatedClusterState(ctx));
        },
      });
      const target = { descriptor: { flake: `path:${flake}` } } as unknown as Cluster;
      const result = await runLane(lane, {
        target,
        targetName: 'a flake without ultracloud.cluster',
        runId: 'blocked',
        workRoot: root,
        log: () => {},
      });
      expect(result.status).toBe('blocked');
      expect(result.missingRequirements?.join(' ')).toMatch(/^ultracloud\.cluster /);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('accepts a well-formed module', async () => {
    expect(await evalModule(module())).toMatchObject({ ok: true });
  });

  it.each([
    ['an unknown field', { cls: `{ install_plan = ${plan}; colour = "red"; }` }, /classes\.w\.colour: unknown field/],
    [
      'a disk that is no by-id selector',
      { cls: `{ install_plan = ${plan.replace('/dev/disk/by-id/virtio-x', '/dev/sda')}; }` },
      /classes\.w\.install_plan\.target_disk_by_id: must be a \/dev\/disk\/by-id/,
    ],
    ['a missing install plan', { cls: '{ }' }, /classes\.w\.install_plan: is required/],
    [
      'a relative desired system',
      { cls: `{ install_plan = ${plan}; desired_system.target_system = "result"; }` },
      /classes\.w\.desired_system\.target_system: must be an absolute store path/,
    ],
    ['a node of no class', { node: `{ class = "nope"; role = "worker"; }` }, /nodes\.node04\.class: names no class/],
    ['a node of no known role', { node: `{ class = "w"; role = "pilot"; }` }, /nodes\.node04\.role: must be one of/],
    [
      'a service on an unknown node',
      { svc: `{ replicas = 1; nodes = [ "node09" ]; }` },
      /services\.web\.nodes: names no node/,
    ],
    [
      'negative replicas',
      { svc: `{ replicas = -1; nodes = [ "node04" ]; }` },
      /services\.web\.replicas: must be an integer/,
    ],
  ])('fails evaluation on %s, naming the field', async (_what, over, error) => {
    const r = await evalModule(module(over));
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/ultracloud\.cluster\./);
    expect(r.out).toMatch(error);
  });
});

describe('deployer apply of the generated cluster state, and fleet-scheduler taking its services from it', () => {
  let deployerSvc: LabServiceProcess;
  let deployer: DeployerPort;
  let lab: FleetServices;
  let state: ClusterState;

  beforeAll(async () => {
    state = await evaluated();
    deployerSvc = await LabServiceProcess.start({ service: 'deployer' });
    deployer = createDeployerPort(deployerSvc.binding());
    lab = await startFleetServices(2500, { UCP_DEPLOYER_URL: deployerSvc.url, UCP_FLEET_DEPLOYER_POLL_MS: '100' });
  }, 60_000);
  afterAll(async () => {
    await lab?.dispose();
    await deployerSvc?.dispose();
  }, 60_000);

  it('applies classes, nodes and services; a re-apply changes nothing; the read-back equals the evaluated state', async () => {
    const first = await deployer.applyCluster(state);
    expect(first.created).toEqual(
      expect.arrayContaining(['class/harness-node04', 'node/node04', 'service/cluster-smoke']),
    );
    expect(await deployer.applyCluster(state)).toEqual({ created: [], changed: [], removed: [] });
    const applied = await deployer.appliedCluster();
    expect(applied.nodes.map((n) => n.node_id).sort()).toEqual(Object.keys(state.nodes).sort());
    for (const c of applied.classes) {
      const { name, ...rest } = c;
      expect(rest).toEqual(state.classes[name]);
    }
    expect((await deployer.nodes()).filter((n) => n.node_id === 'node04')).toHaveLength(1);
    expect((await deployer.inspect('node04'))?.node_class).toBe('harness-node04');
  });

  it('refuses a state with a field the schema does not name, naming it', async () => {
    const bad = {
      ...state,
      classes: {
        ...state.classes,
        extra: { install_plan: state.classes['harness-node04']?.install_plan, desired_system: null, colour: 'red' },
      },
    };
    await expect(deployer.applyCluster(bad as ClusterState)).rejects.toThrow(/400.*classes\.extra\.colour/);
  });

  it('fleet-scheduler runs the applied service on the nodes it allows, and stops it once the state drops it', async () => {
    await waitForSpread(lab.fleet, 'cluster-smoke', { node04: 2 });
    const { 'cluster-smoke': _dropped, ...rest } = state.services;
    expect((await deployer.applyCluster({ ...state, services: rest })).removed).toEqual(['service/cluster-smoke']);
    await waitForSpread(lab.fleet, 'cluster-smoke', {});
    expect((await lab.fleet.services()).map((s) => s.name)).not.toContain('cluster-smoke');
    await deployer.applyCluster(state);
    await waitForSpread(lab.fleet, 'cluster-smoke', { node04: 2 });
  });

  it('converges on the generated state: an apply after one that duplicated nodes leaves one record per node', async () => {
    await deployerSvc.setFaults({ 'apply-duplicates-nodes': true });
    await deployer.applyCluster(state);
    expect((await deployer.nodes()).filter((n) => n.node_id === 'node04')).toHaveLength(2);
    await deployerSvc.setFaults({});
    const r = await deployer.applyCluster(state);
    expect(r.changed).toEqual(expect.arrayContaining(Object.keys(state.nodes).map((id) => `node/${id}`)));
    expect((await deployer.nodes()).filter((n) => n.node_id === 'node04')).toHaveLength(1);
    expect(await deployer.applyCluster(state)).toEqual({ created: [], changed: [], removed: [] });
  });

  it('prunes classes and nodes an earlier apply created and the new state no longer names', async () => {
    const { node06: _n, ...nodes } = state.nodes;
    const { 'harness-node06': _c, ...classes } = state.classes;
    const r = await deployer.applyCluster({ ...state, nodes, classes });
    expect(r.removed.sort()).toEqual(['class/harness-node06', 'node/node06']);
    expect(await deployer.inspect('node06')).toBeNull();
    await deployer.applyCluster(state);
  });
});
