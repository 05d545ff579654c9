import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeAgentPort } from '../../contracts/ports/node-agent.ts';
import { eventually } from '../../helpers/retry.ts';
import { type FleetServices, startFleetServices, waitForSpread } from './support/fleet-services.ts';

/** "gone", "zombie" (exited, not yet reaped by its adoptive parent) or "running" */
function processState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ? 'zombie' : 'running';
  } catch {
    return 'gone';
  }
}

describe('node-agent lab service (with fleet-scheduler)', () => {
  let lab: FleetServices;
  let node04: NodeAgentPort;

  beforeAll(async () => {
    lab = await startFleetServices(8_000);
    node04 = lab.nodeAgent.at('node04');
    await lab.fleet.putService('api', { replicas: 2 });
    await waitForSpread(lab.fleet, 'api', { node04: 1, node05: 1 });
  }, 60_000);
  afterAll(async () => {
    await lab?.dispose();
  }, 60_000);

  const only = async () => {
    const { instances } = await node04.instances();
    expect(instances).toHaveLength(1);
    return instances[0] as (typeof instances)[number];
  };

  it('runs its assigned instance as a real process with log and pid metadata under <stateDir>/pids', async () => {
    const inst = await only();
    const pids = join(lab.agents.node04.stateDir, 'pids');
    expect((await node04.status()).pidsDir).toBe(pids);
    expect(readFileSync(join(pids, `${inst.id}.pid`), 'utf8').trim()).toBe(String(inst.pid));
    expect(JSON.parse(readFileSync(join(pids, `${inst.id}.json`), 'utf8'))).toMatchObject({
      id: inst.id,
      service: 'api',
    });
    expect(inst.log).toBe(join(pids, `${inst.id}.log`));
    const port = await eventually(async () => {
      const p = (await only()).port;
      if (!p) throw new Error('no port yet');
      return p;
    });
    const answer = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { instance: string; node: string };
    expect(answer).toEqual(expect.objectContaining({ instance: inst.id, node: 'node04' }));
    expect(readFileSync(inst.log, 'utf8')).toContain(`listening on ${port}`);
  });

  it('restarts an instance that died', async () => {
    const inst = await only();
    process.kill(-inst.pid, 'SIGKILL');
    await eventually(async () => {
      const next = await only();
      if (next.pid === inst.pid || !next.running) throw new Error(`still ${next.pid} running=${next.running}`);
    });
  });

  it('adopts its running instances after a restart and a SIGKILL instead of starting new ones', async () => {
    const inst = await only();
    await lab.agents.node04.restart();
    await eventually(async () => expect((await node04.status()).heartbeats).toBeGreaterThan(1));
    expect(await only()).toMatchObject({ id: inst.id, pid: inst.pid, running: true });
    await lab.agents.node04.kill();
    await lab.agents.node04.launch();
    await eventually(async () => expect((await node04.status()).heartbeats).toBeGreaterThan(1));
    expect(await only()).toMatchObject({ id: inst.id, pid: inst.pid, running: true });
  });

  it('stops instances that are no longer assigned', async () => {
    const inst = await only();
    await lab.fleet.drain('node04');
    await eventually(async () => expect((await node04.instances()).instances).toHaveLength(0));
    expect(existsSync(join(lab.agents.node04.stateDir, 'pids', `${inst.id}.pid`))).toBe(false);
    await eventually(async () => expect(processState(inst.pid)).toMatch(/^(gone|zombie)$/));
    await lab.fleet.activate('node04');
    await waitForSpread(lab.fleet, 'api', { node04: 1, node05: 1 });
  });

  it('fault heartbeat-stall gets a live node marked lost', async () => {
    await lab.agents.node04.setFaults({ 'heartbeat-stall': true });
    await eventually(
      async () => expect((await lab.fleet.nodes()).find((n) => n.name === 'node04')?.state).toBe('lost'),
      {
        timeoutMs: 20_000,
      },
    );
    await lab.agents.node04.setFaults({});
    await waitForSpread(lab.fleet, 'api', { node04: 1, node05: 1 });
  });

  it('fault ignore-assignment leaves an assigned replica not running', async () => {
    await lab.agents.node04.setFaults({ 'ignore-assignment': true });
    await lab.fleet.putService('api', { replicas: 4 });
    await eventually(async () => {
      const mine = (await lab.fleet.placements()).instances.filter((p) => p.node === 'node04');
      expect(mine).toHaveLength(2);
      expect(mine.filter((p) => !p.running)).toHaveLength(1);
    });
    await lab.agents.node04.setFaults({});
    await waitForSpread(lab.fleet, 'api', { node04: 2, node05: 2 });
  });
});
