import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep } from '../../helpers/retry.ts';
import { type FleetServices, startFleetServices, waitForSpread } from './support/fleet-services.ts';

describe('fleet-scheduler lab service (with node-agents on node04 and node05)', () => {
  let lab: FleetServices;

  beforeAll(async () => {
    lab = await startFleetServices();
  }, 60_000);
  afterAll(async () => {
    await lab?.dispose();
  }, 60_000);

  const nodeState = async (name: string) => (await lab.fleet.nodes()).find((n) => n.name === name)?.state;

  it('places replicas across both workers once they heartbeat', async () => {
    await lab.fleet.putService('web', { replicas: 2 });
    await waitForSpread(lab.fleet, 'web', { node04: 1, node05: 1 });
    expect((await lab.fleet.nodes()).map((n) => [n.name, n.state])).toEqual([
      ['node04', 'active'],
      ['node05', 'active'],
    ]);
  });

  it('drains a node for maintenance and restores its replicas when it is active again', async () => {
    expect((await lab.fleet.drain('node04')).state).toBe('draining');
    await waitForSpread(lab.fleet, 'web', { node05: 2 });
    expect((await lab.fleet.activate('node04')).state).toBe('active');
    await waitForSpread(lab.fleet, 'web', { node04: 1, node05: 1 });
  });

  it('marks a worker lost when its heartbeats stop, reschedules, and restores after it returns', async () => {
    await lab.agents.node05.kill();
    await eventually(async () => expect(await nodeState('node05')).toBe('lost'), { timeoutMs: 10_000 });
    await waitForSpread(lab.fleet, 'web', { node04: 2 });
    await lab.agents.node05.launch();
    await eventually(async () => expect(await nodeState('node05')).toBe('active'), { timeoutMs: 10_000 });
    await waitForSpread(lab.fleet, 'web', { node04: 1, node05: 1 });
    expect((await lab.fleet.events()).map((e) => e.kind)).toEqual(
      expect.arrayContaining(['node-lost', 'node-returned']),
    );
  });

  it('keeps services and placements across a restart and a SIGKILL', async () => {
    const before = (await lab.fleet.placements()).instances.map((p) => [p.id, p.node]);
    await lab.scheduler.restart();
    await lab.scheduler.kill();
    await lab.scheduler.launch();
    expect((await lab.fleet.services()).map((s) => [s.name, s.replicas])).toEqual([['web', 2]]);
    expect((await lab.fleet.placements()).instances.map((p) => [p.id, p.node])).toEqual(before);
    await waitForSpread(lab.fleet, 'web', { node04: 1, node05: 1 });
  });

  it('fault drain-keeps-replicas leaves replicas on a draining node', async () => {
    await lab.scheduler.setFaults({ 'drain-keeps-replicas': true });
    await lab.fleet.drain('node04');
    await sleep(600);
    await waitForSpread(lab.fleet, 'web', { node04: 1, node05: 1 }, 1_000);
    await lab.fleet.activate('node04');
    await lab.scheduler.setFaults({});
  });

  it('fault drain-never-restores keeps a returned node empty', async () => {
    await lab.scheduler.setFaults({ 'drain-never-restores': true });
    await lab.fleet.drain('node04');
    await waitForSpread(lab.fleet, 'web', { node05: 2 });
    await lab.fleet.activate('node04');
    await sleep(800);
    await waitForSpread(lab.fleet, 'web', { node05: 2 }, 1_000);
    await lab.scheduler.setFaults({});
    await waitForSpread(lab.fleet, 'web', { node04: 1, node05: 1 });
  });

  it('fault ignore-node-loss keeps replicas assigned to a dead node', async () => {
    await lab.scheduler.setFaults({ 'ignore-node-loss': true });
    await lab.agents.node05.kill();
    await sleep(3_500);
    expect(await nodeState('node05')).toBe('active');
    expect((await lab.fleet.placements()).instances.filter((p) => p.node === 'node05')).toHaveLength(1);
    await lab.scheduler.setFaults({});
    await lab.agents.node05.launch();
    await waitForSpread(lab.fleet, 'web', { node04: 1, node05: 1 });
  });

  it('a service put while a node drains is placed on active nodes only; fault draining-gets-new-placements breaks it', async () => {
    await lab.fleet.drain('node04');
    await lab.fleet.putService('late', { replicas: 2 });
    await waitForSpread(lab.fleet, 'late', { node05: 2 });
    await lab.fleet.deleteService('late');
    await lab.scheduler.setFaults({ 'draining-gets-new-placements': true });
    await lab.fleet.putService('later', { replicas: 2 });
    await waitForSpread(lab.fleet, 'later', { node04: 1, node05: 1 });
    await lab.scheduler.setFaults({});
    await lab.fleet.deleteService('later');
    await lab.fleet.activate('node04');
  });

  it('fault drain-lapses places replicas back on a node draining longer than the lapse, still reported draining', async () => {
    await lab.scheduler.setFaults({ 'drain-lapses': true });
    await lab.fleet.drain('node04');
    await waitForSpread(lab.fleet, 'web', { node05: 2 });
    await waitForSpread(lab.fleet, 'web', { node04: 1, node05: 1 }, 5_000);
    expect(await nodeState('node04')).toBe('draining');
    await lab.scheduler.setFaults({});
    await waitForSpread(lab.fleet, 'web', { node05: 2 });
    await lab.fleet.activate('node04');
    await waitForSpread(lab.fleet, 'web', { node04: 1, node05: 1 });
  });
});
