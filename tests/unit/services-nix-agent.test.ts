import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployerPort } from '../../contracts/ports/deployer.ts';
import type { NixAgentPort, NixAgentStatus } from '../../contracts/ports/nix-agent.ts';
import { eventually } from '../../helpers/retry.ts';
import { createDeployerPort } from '../../lab/target/bindings/deployer.ts';
import { createNixAgentPort } from '../../lab/target/bindings/nix-agent.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

const plan = {
  nixos_configuration: 'node01',
  disko_config_path: 'nix/disko/node01.sh',
  target_disk_by_id: '/dev/disk/by-id/virtio-uc-control-root',
};
const healthy = 'test -f "$ULTRACLOUD_SYSTEM/nixos-version"';

describe('nix-agent lab service', () => {
  let store: string;
  let deployerSvc: LabServiceProcess;
  let agentSvc: LabServiceProcess;
  let deployer: DeployerPort;
  let agent: NixAgentPort;

  /**
   * a host-built closure: a directory added to the host's Nix store (the agent here runs on the host, whose store
   * is its own), valid there when it is published
   */
  const closure = async (name: string) => {
    const path = join(store, `${name.padEnd(8, '0')}-nixos-system-node01`);
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'nixos-version'), `${name}\n`);
    return (await execa('nix-store', ['--option', 'build-users-group', '', '--add', path])).stdout.trim();
  };
  const settle = (pred: (s: NixAgentStatus) => boolean, what: string) =>
    eventually(
      async () => {
        const s = await agent.status();
        if (!pred(s)) throw new Error(`status ${s.observed} ${s.current?.system}: ${s.detail}`);
        return s;
      },
      { timeoutMs: 15_000, what },
    );

  beforeAll(async () => {
    store = await mkdtemp(join(tmpdir(), 'ucp-store-'));
    deployerSvc = await LabServiceProcess.start({
      service: 'deployer',
      env: { UCP_DEPLOYER_ALLOW_UNAUTHENTICATED: 'true' },
    });
    const cluster = {
      nodes: [
        { name: 'node01', role: 'control-plane', address: '127.0.0.1', services: { deployer: deployerSvc.endpoint } },
      ],
    };
    agentSvc = await LabServiceProcess.start({
      service: 'nix-agent',
      env: { UCP_CLUSTER: JSON.stringify(cluster), UCP_NIX_AGENT_POLL_MS: '200' },
    });
    deployer = createDeployerPort(deployerSvc.binding());
    agent = createNixAgentPort(agentSvc.binding());
    await deployer.putClass('control-plane', { install_plan: plan });
    await deployer.preregister({ node_id: 'node01', node_class: 'control-plane' });
  }, 60_000);
  afterAll(async () => {
    await agentSvc?.dispose();
    await deployerSvc?.dispose();
    await rm(store, { recursive: true, force: true });
  }, 60_000);

  it('activates a host-built closure published by the deployer without building, and reports active', async () => {
    const a = await closure('aaaa');
    const published = await deployer.publishDesiredSystem('node01', {
      target_system: a,
      health_check_command: healthy,
    });
    const s = await settle((x) => x.observed === 'active' && x.current?.system === a, 'closure a active');
    expect(s).toMatchObject({ buildRequired: false, built: false, lastHealthCheck: { exitCode: 0 } });
    expect(s.generations).toEqual([{ number: 1, target: a, current: true }]);
    await eventually(async () => {
      const observed = (await deployer.inspect('node01'))?.observed;
      if (observed?.observed !== 'active' || observed.generation !== published.generation)
        throw new Error('not reported');
    });
  });

  it('rolls back when the health check fails and does not stay on the rejected generation', async () => {
    const a = (await agent.status()).current?.system;
    const b = await closure('bbbb');
    await deployer.publishDesiredSystem('node01', {
      target_system: b,
      health_check_command: 'echo broken >&2; exit 3',
    });
    const s = await settle((x) => x.observed === 'rolled-back', 'closure b rolled back');
    expect(s.current?.system).toBe(a);
    expect(s.lastHealthCheck).toMatchObject({ exitCode: 3, output: expect.stringContaining('broken') });
    expect(s.rejected.map((r) => r.target_system)).toEqual([b]);
    await eventually(async () => {
      if ((await deployer.inspect('node01'))?.observed?.observed !== 'rolled-back') throw new Error('not reported');
    });
  });

  it('keeps its profile and verdict across a restart and a SIGKILL', async () => {
    const before = await agent.status();
    await agentSvc.restart();
    await agentSvc.kill();
    await agentSvc.launch();
    const after = await agent.reconcile();
    expect(after.current).toEqual(before.current);
    expect(after.generations).toEqual(before.generations);
    expect(after.observed).toBe('rolled-back');
  });

  it('reports failed and build required when the closure is not on the node', async () => {
    await deployer.publishDesiredSystem('node01', { target_system: join(store, 'missing-nixos-system-node01') });
    const s = await settle((x) => x.observed === 'failed', 'missing closure failed');
    expect(s.buildRequired).toBe(true);
  });

  it('fault ignore-health-check reports a failing system active', async () => {
    await agentSvc.setFaults({ 'ignore-health-check': true });
    const c = await closure('cccc');
    await deployer.publishDesiredSystem('node01', { target_system: c, health_check_command: 'exit 1' });
    await settle((x) => x.observed === 'active' && x.current?.system === c, 'failing c active under fault');
    await agentSvc.setFaults({});
  });

  it('fault stay-on-rejected-generation reports rolled-back but stays on the rejected closure', async () => {
    await agentSvc.setFaults({ 'stay-on-rejected-generation': true });
    const d = await closure('dddd');
    await deployer.publishDesiredSystem('node01', { target_system: d, health_check_command: 'exit 1' });
    const s = await settle((x) => x.observed === 'rolled-back' && x.desired?.target_system === d, 'd rolled back');
    expect(s.current?.system).toBe(d);
    await agentSvc.setFaults({});
  });

  it('fault compile-on-guest builds the closure on the node instead of activating it as shipped', async () => {
    await agentSvc.setFaults({ 'compile-on-guest': true });
    const e = await closure('eeee');
    await deployer.publishDesiredSystem('node01', { target_system: e, health_check_command: healthy });
    const s = await settle((x) => x.observed === 'active' && x.desired?.target_system === e, 'e active');
    expect(s.built).toBe(true);
    expect(s.current?.system).not.toBe(e);
    await agentSvc.setFaults({});
  });

  it('converges to a desired system it is told directly', async () => {
    const f = await closure('ffff');
    const s = await agent.setDesiredSystem({ target_system: f, health_check_command: healthy });
    expect(s).toMatchObject({ observed: 'active', current: { system: f }, desired: { source: 'local' } });
    await agent.clearDesiredSystem();
  });
});
