import { randomBytes } from 'node:crypto';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
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
  async run(ctx: LaneContextWithWaits<Cluster>) {
    const cluster = ctx.target;
    const fleet = cluster.ports.fleetScheduler;
    const [survivor, victim] = nodesRunning(cluster, 'node-agent') as [string, string];
    const service = `fleet-${randomBytes(3).toString('hex')}`;
    const nodeState = async (name: string) => (await fleet.nodes()).find((n) => n.name === name)?.state ?? 'unknown';
    ctx.recordEnvironment({ vm_accelerator_mode: 'none', kvm_required: 'false' });

    try {
      await ctx.step('both workers heartbeat through their node-agent', async () => {
        for (const worker of [survivor, victim]) {
          await ctx.eventually(`${worker} heartbeats and is active`, async () => {
            const s = await cluster.ports.nodeAgent.at(worker).status();
            if (!s.lastHeartbeat.ok || (await nodeState(worker)) !== 'active')
              throw new Error(JSON.stringify(s.lastHeartbeat));
          });
        }
      });

      await ctx.step(`place ${service} across the workers`, async () => {
        await fleet.putService(service, { replicas: 2 });
        await expectSpread(ctx, 'replicas are spread across both workers and run', service, {
          [survivor]: 1,
          [victim]: 1,
        });
      });

      await ctx.step(`${victim} fails: power loss`, async () => {
        await cluster.node(victim).power.kill();
      });

      await ctx.step(`${victim} is marked lost and its replica is rescheduled to ${survivor}`, async () => {
        await ctx.eventually(
          'a worker whose heartbeats stop is marked lost',
          async () => {
            const state = await nodeState(victim);
            if (state !== 'lost') throw new Error(`${victim} is ${state}`);
          },
          { timeoutMs: 30_000 },
        );
        await expectSpread(ctx, 'replicas of the lost node are rescheduled to the live node', service, {
          [survivor]: 2,
        });
      });

      await ctx.step(`${victim} returns`, async () => {
        await cluster.node(victim).power.start();
        await ctx.eventually(
          'the returned worker is active again',
          async () => {
            const state = await nodeState(victim);
            if (state !== 'active') throw new Error(`${victim} is ${state}`);
          },
          { timeoutMs: 120_000 },
        );
      });

      await ctx.step(`replicas are restored onto ${victim}`, async () => {
        await expectSpread(ctx, 'replicas are restored after the node returns', service, {
          [survivor]: 1,
          [victim]: 1,
        });
        await ctx.artifact('events.json', await fleet.events());
      });
    } finally {
      if (
        (await cluster
          .node(victim)
          .power.state()
          .catch(() => 'running')) === 'stopped'
      ) {
        await cluster
          .node(victim)
          .power.start()
          .catch(() => undefined);
      }
      await fleet.deleteService(service).catch(() => undefined);
    }
  },
});
