import { randomBytes } from 'node:crypto';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { timeouts } from '../../harness/timeouts.ts';
import { nodesRunning } from './portable-cluster.ts';
import { expectSpread } from './replica-spread.ts';

/**
 * fleet-scheduler-e2e: native service placement on the two workers, heartbeats, fail-stop loss of one worker
 * (its replicas move to the live worker) and replica restoration after it returns.
 */
export const fleetSchedulerE2e = defineLane<Cluster>({
  name: 'fleet-scheduler-e2e',
  group: 'portable',
  summary: 'placement, heartbeats, fail-stop worker loss and replica restoration',
  requires: [
    'fleet-scheduler.deleteService',
    'fleet-scheduler.events',
    'fleet-scheduler.nodes',
    'fleet-scheduler.placements',
    'fleet-scheduler.putService',
    'node-agent.status',
  ],
  async run(ctx: LaneContextWithWaits<Cluster>) {
    const cluster = ctx.target;
    const fleet = cluster.ports.fleetScheduler;
    const [survivor, victim] = nodesRunning(cluster, 'node-agent') as [string, string];
    const service = `fleet-${randomBytes(3).toString('hex')}`;
    const nodeState = async (name: string) => (await fleet.nodes()).find((n) => n.name === name)?.state ?? 'unknown';
    ctx.recordEnvironment({ vm_accelerator_mode: 'none', kvm_required: 'false' });

    ctx.defer(`delete ${service}`, () => fleet.deleteService(service));

    await ctx.step('both workers heartbeat through their node-agent', async () => {
      for (const worker of [survivor, victim]) {
        await ctx.until(
          `${worker} heartbeats and is active`,
          async () => ({
            heartbeat: (await cluster.ports.nodeAgent.at(worker).status()).lastHeartbeat,
            state: await nodeState(worker),
          }),
          (s) => s.heartbeat.ok && s.state === 'active',
        );
      }
    });

    await ctx.step(`place ${service} across the workers`, async () => {
      await fleet.putService(service, { replicas: 2 });
      await expectSpread(ctx, 'replicas are spread across both workers and run', service, {
        [survivor]: 1,
        [victim]: 1,
      });
    });

    let bootBefore = '';
    await ctx.step(`${victim} fails: power loss`, async () => {
      const power = cluster.node(victim).power;
      bootBefore = await cluster.node(victim).bootId();
      await power.kill();
      ctx.defer(`power ${victim} on`, async () => {
        if ((await power.state()) === 'stopped') await power.start();
      });
      ctx.check(`${victim} is powered off`, (await power.state()) === 'stopped');
    });

    await ctx.step(`${victim} is marked lost and its replica is rescheduled to ${survivor}`, async () => {
      await ctx.until(
        'a worker whose heartbeats stop is marked lost',
        () => nodeState(victim),
        (s) => s === 'lost',
        {
          timeoutMs: timeouts.nodeLost,
        },
      );
      await expectSpread(ctx, 'replicas of the lost node are rescheduled to the live node', service, {
        [survivor]: 2,
      });
    });

    await ctx.step(`${victim} returns`, async () => {
      await cluster.node(victim).power.start();
      const bootAfter = await ctx.eventually(`${victim} reports a boot after power-on`, () =>
        cluster.node(victim).bootId(),
      );
      ctx.check(
        `${victim} booted anew after the power loss (its boot id changed)`,
        bootAfter !== bootBefore,
        `${bootBefore} → ${bootAfter}`,
      );
      await ctx.until(
        'the returned worker is active again',
        () => nodeState(victim),
        (s) => s === 'active',
        {
          timeoutMs: timeouts.nodeReturns,
        },
      );
    });

    await ctx.step(`replicas are restored onto ${victim}`, async () => {
      await expectSpread(ctx, 'replicas are restored after the node returns', service, {
        [survivor]: 1,
        [victim]: 1,
      });
      await ctx.artifact('events.json', await fleet.events());
    });
  },
});
