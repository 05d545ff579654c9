import { randomBytes } from 'node:crypto';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { timeouts } from '../../harness/timeouts.ts';
import { nodesRunning, powerBackOn } from './portable-cluster.ts';
import { expectSpread, formatSpread, spreadOf } from './replica-spread.ts';

/**
 * fleet-scheduler-e2e: native service placement on the two workers, heartbeats, fail-stop loss of one worker
 * (its replicas move to the live worker), replica restoration after it returns, and no new placement on a
 * draining worker.
 */
export const fleetSchedulerE2e = defineLane<Cluster>({
  name: 'fleet-scheduler-e2e',
  group: 'portable',
  tags: ['needs-root', 'disruptive'],
  summary: 'placement, heartbeats, fail-stop worker loss, replica restoration, no placement on a draining worker',
  requires: [
    'fleet-scheduler.activate',
    'fleet-scheduler.deleteService',
    'fleet-scheduler.drain',
    'fleet-scheduler.events',
    'fleet-scheduler.nodes',
    'fleet-scheduler.placements',
    'fleet-scheduler.putService',
    'node-agent.instances',
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
      await powerBackOn(ctx, victim, bootBefore);
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
    });

    const late = `${service}-late`;
    ctx.defer(`delete ${late}`, () => fleet.deleteService(late));
    await ctx.step(`a draining ${victim} gets no new placement`, async () => {
      await fleet.drain(victim);
      ctx.defer(`activate ${victim}`, async () => {
        await fleet.activate(victim);
      });
      await expectSpread(ctx, `draining moves the replicas off ${victim}`, service, { [survivor]: 2 });
      await fleet.putService(late, { replicas: 2 });
      const placed = await ctx.until(
        `fleet-scheduler places both replicas of ${late}`,
        async () => (await fleet.placements()).instances.filter((p) => p.service === late),
        (p) => p.length === 2,
      );
      const onDrained = placed.filter((p) => p.node === victim).map((p) => p.id);
      ctx.check(
        `no replica placed while ${victim} drains lands on ${victim}`,
        onDrained.length === 0,
        `placed ${formatSpread(spreadOf(placed, late))}`,
      );
      await fleet.activate(victim);
      await expectSpread(ctx, `replicas return to ${victim} once it is active again`, late, {
        [survivor]: 1,
        [victim]: 1,
      });
    });

    await ctx.step(`scaled down from two replicas to one, ${late} runs exactly one replica`, async () => {
      await fleet.putService(late, { replicas: 1 });
      const kept = await ctx.until(
        `fleet-scheduler keeps exactly one placement of ${late}, and it runs`,
        async () => (await fleet.placements()).instances.filter((p) => p.service === late),
        (p) => p.length === 1 && p.every((x) => x.running),
      );
      const agents = await ctx.until(
        `the workers' node-agents run only the kept replica of ${late}; the surplus one is stopped`,
        async () => {
          const out: string[] = [];
          for (const worker of [survivor, victim]) {
            const { instances } = await cluster.ports.nodeAgent.at(worker).instances();
            for (const i of instances) if (i.service === late && i.running) out.push(`${worker}:${i.id}`);
          }
          return out.sort();
        },
        (running) => running.length === 1 && running[0] === `${kept[0]?.node}:${kept[0]?.id}`,
      );
      ctx.log(`after the scale-down: ${agents.join(', ')}`);
      await ctx.artifact('events.json', await fleet.events());
    });
  },
});
