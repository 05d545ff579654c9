import { randomBytes } from 'node:crypto';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { nodesRunning } from './portable-cluster.ts';
import { expectSpread } from './replica-spread.ts';

/**
 * host-lifecycle-e2e: a host service runs on both workers as node-agent processes with per-instance logs and pid
 * metadata under <stateDir>/pids; a planned maintenance drains one worker (active -> draining: its replica moves
 * off) and returns it (draining -> active: the replica is restored).
 */
export const hostLifecycleE2e = defineLane<Cluster>({
  name: 'host-lifecycle-e2e',
  group: 'portable',
  tags: ['needs-root', 'disruptive'],
  summary: 'node drain, maintenance and return through fleet-scheduler and node-agent',
  requires: [
    'fleet-scheduler.activate',
    'fleet-scheduler.deleteService',
    'fleet-scheduler.drain',
    'fleet-scheduler.events',
    'fleet-scheduler.nodes',
    'fleet-scheduler.placements',
    'fleet-scheduler.putService',
    'node-agent.instances',
  ],
  scopeContract: {
    'node-agent': 'per-instance logs and pid metadata under <stateDir>/pids; upgrades are replace-and-reconcile',
    maintenance: 'short-lived active -> draining -> active transitions of one worker at a time',
  },
  async run(ctx: LaneContextWithWaits<Cluster>) {
    const cluster = ctx.target;
    const fleet = cluster.ports.fleetScheduler;
    const [first, second] = nodesRunning(cluster, 'node-agent') as [string, string];
    const service = `lifecycle-${randomBytes(3).toString('hex')}`;
    ctx.recordEnvironment({ vm_accelerator_mode: 'none', kvm_required: 'false' });

    try {
      await ctx.step(`place ${service} with one replica on each worker`, async () => {
        await ctx.eventually('both workers heartbeat and are active', async () => {
          const nodes = await fleet.nodes();
          const active = nodes.filter((n) => n.state === 'active').map((n) => n.name);
          if (!active.includes(first) || !active.includes(second)) throw new Error(`active: ${active.join(', ')}`);
        });
        await fleet.putService(service, { replicas: 2 });
        await expectSpread(ctx, 'one running replica per worker', service, { [first]: 1, [second]: 1 });
      });

      await ctx.step(
        'each instance runs as a process with its log and pid metadata under <stateDir>/pids',
        async () => {
          for (const worker of [first, second]) {
            const { pidsDir, instances } = await cluster.ports.nodeAgent.at(worker).instances();
            const mine = instances.filter((i) => i.service === service);
            ctx.check(`${worker} runs one instance of ${service}`, mine.length === 1, JSON.stringify(mine));
            const inst = mine[0] as (typeof mine)[number];
            const node = cluster.node(worker);
            const pid = (await node.succeed(`cat ${pidsDir}/${inst.id}.pid`)).trim();
            ctx.check(
              `${worker}'s pid file names the running instance`,
              pid === String(inst.pid),
              `${pid} vs ${inst.pid}`,
            );
            const alive = await node.exec(
              `kill -0 ${pid} && test -s ${pidsDir}/${inst.id}.json && test -e ${inst.log}`,
            );
            ctx.check(
              `${worker}'s instance process is alive with metadata and log under the pids dir`,
              alive.exitCode === 0,
            );
            ctx.check('the log lives under <stateDir>/pids', inst.log.startsWith(`${pidsDir}/`), inst.log);
          }
        },
      );

      const drained = await ctx.step(`drain ${first} for maintenance: its replica moves off`, async () => {
        const n = await fleet.drain(first);
        ctx.check(`${first} is draining`, n.state === 'draining', n.state);
        await expectSpread(ctx, 'draining moves the replica off the node', service, { [second]: 2 });
        const left = (await cluster.ports.nodeAgent.at(first).instances()).instances.filter(
          (i) => i.service === service,
        );
        ctx.check(`${first}'s node-agent stopped its instance`, left.length === 0, JSON.stringify(left));
        return n;
      });
      ctx.log(`${drained.name} drained`);

      await ctx.step(`end maintenance: ${first} returns to active and gets its replica back`, async () => {
        const n = await fleet.activate(first);
        ctx.check(`${first} is active again`, n.state === 'active', n.state);
        await expectSpread(ctx, 'replicas are restored after the node returns', service, { [first]: 1, [second]: 1 });
        await ctx.artifact('events.json', await fleet.events());
      });
    } finally {
      await fleet.activate(first).catch(() => undefined);
      await fleet.deleteService(service).catch(() => undefined);
    }
  },
});
