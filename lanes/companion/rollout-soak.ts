import { randomBytes } from 'node:crypto';
import type { Placement } from '../../contracts/ports/fleet-scheduler.ts';
import type { Cluster } from '../../contracts/target.ts';
import { applyAndCheck, evaluatedClusterState } from '../../harness/cluster-authoring.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { timeouts } from '../../harness/timeouts.ts';
import { sleep } from '../../helpers/retry.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import { nodesRunning, powerBackOn, rejection, restartService } from '../portable/portable-cluster.ts';
import { expectSpread, formatSpread, spreadOf } from '../portable/replica-spread.ts';

/** how long each degraded state is held while the lane keeps checking the placements */
export const holdMs = 30_000;
/** the pause between two checks of a hold */
const holdCheckEveryMs = 3_000;
const replicas = 4;

const deployerScope = [
  'deployer HA and DR boundary: scope-fixed',
  'supported: one active writer plus optional cold-standby restore',
  'not supported: automatic multi-instance failover',
  'runbook: recover one writer, re-apply ultracloud.cluster generated state with deployer-ctl apply, replay preserved admin pre-register requests, verify state through the admin API or deployer-ctl node inspect',
  'unsupported multi-instance boundary: rollout-bundle.md',
];

const fleetSchedulerScope = [
  'fleet-scheduler maintenance and DR boundary: scope-fixed',
  'supported: one planned drain cycle (active -> draining -> active) on one of the two native-runtime workers, held degraded for 30 seconds',
  'supported: one fail-stop worker-loss cycle (power loss) on one of the two native-runtime workers, held degraded for 30 seconds, and its return',
  'supported: restarts of deployer, fleet-scheduler, node-agent, chainfire and flaredb with the live cluster revalidated afterwards',
  'not supported: concurrent drains or losses of both workers, or of a worker and a control-plane node',
];

const nixAgentProof = ['deployer-vm-rollback', 'baremetal-iso', 'baremetal-iso-e2e'];

/**
 * The seed's rollout-soak: the longer-running maintenance and DR companion lane of the control-plane and rollout
 * bundle. From clean runtime state it runs exactly one planned drain cycle and one fail-stop worker-loss cycle on
 * the two native-runtime workers, holds each degraded state for 30 seconds while it keeps checking the
 * placements, restarts deployer, fleet-scheduler, node-agent, chainfire and flaredb (each shown to run a new
 * process), and revalidates the live cluster. It writes the scope-fixed release boundary and the nix-agent scope
 * markers of the steady-state nodes that do not ship nix-agent. Its undos leave the workers powered on and
 * active, nothing drained, and its services deleted.
 */
export const rolloutSoak = defineLane<Cluster>({
  name: 'rollout-soak',
  group: 'companion',
  tags: ['needs-root', 'disruptive', 'slow'],
  summary:
    'one planned drain and one fail-stop worker loss each held 30 s, restarts of deployer, fleet-scheduler, node-agent, chainfire and flaredb, the live cluster revalidated',
  requires: [
    'chainfire.get',
    'chainfire.members',
    'chainfire.put',
    'chainfire.status',
    'deployer.appliedCluster',
    'deployer.applyCluster',
    'deployer.nodes',
    'flaredb.execute',
    'flaredb.migrate',
    'flaredb.query',
    'fleet-scheduler.activate',
    'fleet-scheduler.deleteService',
    'fleet-scheduler.drain',
    'fleet-scheduler.events',
    'fleet-scheduler.nodes',
    'fleet-scheduler.placements',
    'fleet-scheduler.putService',
    'fleet-scheduler.services',
    'node-agent.status',
  ],
  scopeContract: {
    lane: 'rollout-soak',
    drain: 'exactly one planned drain cycle on one of the two native-runtime workers, held degraded for 30 seconds',
    workerLoss: 'exactly one fail-stop worker-loss cycle (power loss), held degraded for 30 seconds, then its return',
    restarts: ['deployer', 'fleet-scheduler', 'node-agent', 'chainfire', 'flaredb'],
    deployer: 'one active writer plus optional cold-standby restore, not automatic multi-instance failover',
    nixAgent: `not shipped on the steady-state nodes; executable proof stays with ${nixAgentProof.join(', ')}`,
    outOfScope: 'repeated or concurrent drains and losses, multi-instance deployer failover',
  },
  async run(ctx: LaneContextWithWaits<Cluster>) {
    const cluster = ctx.target;
    const { ports } = cluster;
    const fleet = ports.fleetScheduler;
    const [keeper, victim] = nodesRunning(cluster, 'node-agent') as [string, string];
    const workers = [keeper, victim];
    const tag = randomBytes(3).toString('hex');
    const service = `soak-${tag}`;
    const late = `soak-${tag}-late`;
    const voters = cluster
      .withRole('control-plane')
      .map((n) => n.name)
      .sort();
    const even = { [keeper]: replicas / 2, [victim]: replicas / 2 };
    const stateOf = async (name: string) => (await fleet.nodes()).find((n) => n.name === name);
    const placedOf = async (name: string) => (await fleet.placements()).instances.filter((p) => p.service === name);

    await ctx.step(
      'the cluster starts from clean runtime state: every worker active and heartbeating, none drained or lost, the chainfire voters exactly the control-plane nodes',
      async () => {
        const nodes = await ctx.until(
          'every worker heartbeats and is active',
          async () => {
            const listed = await fleet.nodes();
            const agents = await Promise.all(workers.map((w) => ports.nodeAgent.at(w).status()));
            return { listed, agents };
          },
          ({ listed, agents }) =>
            agents.every((a) => a.lastHeartbeat.ok) &&
            workers.every((w) => listed.find((n) => n.name === w)?.state === 'active'),
          { timeoutMs: timeouts.nodeReturns },
        );
        const notClean = nodes.listed.filter((n) => n.state !== 'active' || n.maintenance).map((n) => n.name);
        ctx.check(
          'no node fleet-scheduler knows is draining, in maintenance or lost',
          notClean.length === 0,
          nodes.listed.map((n) => `${n.name}=${n.state}${n.maintenance ? ' (maintenance)' : ''}`).join(', '),
        );
        const members = await ports.chainfire.at(voters[0] as string).members();
        const names = members.map((m) => m.name).sort();
        ctx.check(
          'the chainfire members are exactly the control-plane nodes, none a learner',
          names.join(',') === voters.join(',') && members.every((m) => !m.isLearner),
          `members: ${members.map((m) => `${m.name}${m.isLearner ? ' (learner)' : ''}`).join(', ')}; control plane: ${voters.join(', ')}`,
        );
        const leftovers = (await fleet.services()).filter((s) => s.name.startsWith('soak-')).map((s) => s.name);
        ctx.check('no service of an earlier soak is left behind', leftovers.length === 0, leftovers.join(', '));
        await ctx.artifact('clean-state.json', { nodes: nodes.listed, agents: nodes.agents, members });
      },
    );

    await ctx.step(
      'the generated cluster state applied through the deployer reads back equal to the evaluated state',
      async () => {
        const evaluated = await evaluatedClusterState(ctx);
        await ctx.artifact('cluster-state-evaluated.json', evaluated);
        await applyAndCheck(ctx, ports.deployer, evaluated);
      },
    );

    ctx.defer(`delete ${service}`, () => fleet.deleteService(service));
    await ctx.step(`fleet-scheduler places ${replicas} replicas of ${service} evenly on both workers`, async () => {
      await fleet.putService(service, { replicas });
      await expectSpread(ctx, 'the replicas are spread evenly across both workers and run', service, even);
    });

    await ctx.step(
      `drain: ${victim} is draining, its replicas move to ${keeper}, and a service put while it drains gets no replica on it`,
      async () => {
        await fleet.drain(victim);
        ctx.defer(`activate ${victim}`, async () => {
          await fleet.activate(victim);
        });
        const state = await stateOf(victim);
        ctx.check(`${victim} is draining`, state?.state === 'draining', JSON.stringify(state));
        await expectSpread(ctx, `draining moves every replica off ${victim} to ${keeper}`, service, {
          [keeper]: replicas,
        });
        ctx.defer(`delete ${late}`, () => fleet.deleteService(late));
        await fleet.putService(late, { replicas: 2 });
        const placed = await ctx.until(
          'fleet-scheduler places both replicas of the service put during the drain and they run',
          () => placedOf(late),
          (p) => p.length === 2 && p.every((x) => x.running),
        );
        ctx.check(
          `no replica of the service put during the drain is placed on the draining ${victim}`,
          placed.every((p) => p.node !== victim),
          `placed ${formatSpread(spreadOf(placed, late))}`,
        );
      },
    );

    await ctx.step(
      `held drained for 30 s: at every check ${victim} stays draining with no replica, and ${keeper} runs every replica`,
      () =>
        hold(ctx, 'drain-hold.json', async (placed, nodes) => {
          const drained = nodes.find((n) => n.name === victim);
          ctx.check(
            `${victim} stays draining throughout the hold`,
            drained?.state === 'draining',
            JSON.stringify(drained),
          );
          const onVictim = placed.filter((p) => p.node === victim).map((p) => `${p.service}/${p.id}`);
          ctx.check(
            `no replica is placed on the drained ${victim} at any check of the hold`,
            onVictim.length === 0,
            onVictim.join(', '),
          );
          expectHeld(ctx, placed, service, 'the soak service', { [keeper]: replicas });
          expectHeld(ctx, placed, late, 'the service put during the drain', { [keeper]: 2 });
        }),
    );

    await ctx.step(`restore: ${victim} is active again and the replicas re-converge onto both workers`, async () => {
      await fleet.activate(victim);
      const state = await stateOf(victim);
      ctx.check(
        `${victim} is active and out of maintenance`,
        state?.state === 'active' && !state.maintenance,
        JSON.stringify(state),
      );
      await expectSpread(ctx, `the replicas of the soak service are spread evenly again and run`, service, even);
      await expectSpread(
        ctx,
        `the replicas of the service put during the drain are spread across both workers and run`,
        late,
        {
          [keeper]: 1,
          [victim]: 1,
        },
      );
    });

    const power = cluster.node(victim).power;
    let bootBefore = '';
    await ctx.step(
      `fail-stop: ${victim} loses power, is marked lost, and its replicas are rescheduled to ${keeper}`,
      async () => {
        bootBefore = await cluster.node(victim).bootId();
        await power.kill();
        ctx.defer(`power ${victim} on; it is active again`, async () => {
          if ((await power.state()) === 'stopped') await power.start();
          await ctx.until(
            `${victim} is active again after its power-on`,
            async () => (await stateOf(victim))?.state,
            (s) => s === 'active' || s === 'draining',
            { timeoutMs: timeouts.nodeReturns },
          );
        });
        ctx.check(`${victim} is powered off`, (await power.state()) === 'stopped');
        await ctx.until(
          `${victim} is marked lost once its heartbeats stop`,
          async () => (await stateOf(victim))?.state,
          (s) => s === 'lost',
          { timeoutMs: timeouts.nodeLost },
        );
        await expectSpread(ctx, `the replicas of the lost ${victim} are rescheduled to ${keeper}`, service, {
          [keeper]: replicas,
        });
      },
    );

    await ctx.step(
      `held lost for 30 s: at every check ${victim} stays lost and powered off with no replica, and ${keeper} runs every replica`,
      () =>
        hold(ctx, 'worker-loss-hold.json', async (placed, nodes) => {
          const lost = nodes.find((n) => n.name === victim);
          ctx.check(`${victim} stays lost throughout the hold`, lost?.state === 'lost', JSON.stringify(lost));
          ctx.check(`${victim} stays powered off throughout the hold`, (await power.state()) === 'stopped');
          const onVictim = placed.filter((p) => p.node === victim).map((p) => `${p.service}/${p.id}`);
          ctx.check(
            `no replica is placed on the lost ${victim} at any check of the hold`,
            onVictim.length === 0,
            onVictim.join(', '),
          );
          expectHeld(ctx, placed, service, 'the soak service', { [keeper]: replicas });
          expectHeld(ctx, placed, late, 'the service put during the drain', { [keeper]: 2 });
        }),
    );

    await ctx.step(`${victim} is powered back, boots anew, rejoins active and gets its replicas back`, async () => {
      await powerBackOn(ctx, victim, bootBefore);
      await ctx.until(
        `${victim} is active again`,
        async () => (await stateOf(victim))?.state,
        (s) => s === 'active',
        { timeoutMs: timeouts.nodeReturns },
      );
      await expectSpread(
        ctx,
        `the replicas of the soak service are spread evenly again after the return`,
        service,
        even,
      );
    });

    const table = `soak_${tag}`;
    const dbNode = nodesRunning(cluster, 'flaredb')[0] as string;
    const db = ports.flaredb.at(dbNode);
    const key = `proof/rollout-soak/${tag}`;
    await ctx.step('a chainfire key and a flaredb row are written before the restarts', async () => {
      const written = await ports.chainfire.at(voters[0] as string).put(key, `before-${tag}`);
      ctx.log(`chainfire ${key} written at revision ${written.revision}`);
      await db.migrate(`rollout-soak-${tag}`, [`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, phase TEXT NOT NULL)`]);
      await db.execute(`INSERT INTO ${table} (id, phase) VALUES (?, ?)`, [1, 'before-restarts']);
    });

    const restarts: Array<[ServiceName, string, () => Promise<unknown>]> = [
      ...workers.map((w): [ServiceName, string, () => Promise<unknown>] => [
        'node-agent',
        w,
        async () => {
          const s = await ports.nodeAgent.at(w).status();
          if (!s.lastHeartbeat.ok)
            throw new Error(`node-agent on ${w}: last heartbeat ${JSON.stringify(s.lastHeartbeat)}`);
        },
      ]),
      [
        'chainfire',
        voters[0] as string,
        async () => {
          const s = await ports.chainfire.at(voters[0] as string).status();
          if (!s.member || !s.leader) throw new Error(`chainfire on ${voters[0]}: ${JSON.stringify(s)}`);
        },
      ],
      ['flaredb', dbNode, () => db.query('SELECT 1 AS one')],
    ];
    const deployerNode = nodesRunning(cluster, 'deployer')[0] as string;
    await ctx.step(`deployer on ${deployerNode} restarts in a new process and answers again`, () =>
      restartService(ctx, cluster.node(deployerNode), 'deployer', () => ports.deployer.nodes()),
    );

    const schedulerNode = nodesRunning(cluster, 'fleet-scheduler')[0] as string;
    await ctx.step(
      `fleet-scheduler on ${schedulerNode} restarts in a new process and answers again; its restart is no worker loss: no worker marked lost, the same replicas placed`,
      async () => {
        const eventsBefore = new Set((await fleet.events()).map((e) => JSON.stringify(e)));
        const idsBefore = (await placedOf(service)).map((p) => `${p.id}@${p.node}`).sort();
        await restartService(ctx, cluster.node(schedulerNode), 'fleet-scheduler', () => fleet.nodes());
        // the restarted scheduler has heard no heartbeat yet: wait until both workers have reached it
        await ctx.until(
          'both workers heartbeat to the restarted fleet-scheduler',
          () => fleet.nodes(),
          (nodes) => workers.every((w) => nodes.find((n) => n.name === w)?.lastHeartbeatAt != null),
        );
        const lostSince = (await fleet.events())
          .filter((e) => !eventsBefore.has(JSON.stringify(e)) && e.kind === 'node-lost')
          .map((e) => e.detail);
        ctx.check(
          'no worker is marked lost across the fleet-scheduler restart',
          lostSince.length === 0,
          lostSince.join('; '),
        );
        const idsAfter = (await placedOf(service)).map((p) => `${p.id}@${p.node}`).sort();
        ctx.check(
          'the soak service keeps the same replicas on the same workers across the fleet-scheduler restart',
          idsAfter.join(' ') === idsBefore.join(' '),
          `before: ${idsBefore.join(' ')}; after: ${idsAfter.join(' ')}`,
        );
      },
    );

    for (const [name, node, answers] of restarts) {
      await ctx.step(`${name} on ${node} restarts in a new process and answers again`, () =>
        restartService(ctx, cluster.node(node), name, answers),
      );
    }

    await ctx.step(
      'after the restarts the live cluster holds: workers active, replicas placed evenly and running, chainfire voters canonical with the key on every voter, the flaredb row read back',
      async () => {
        await ctx.until(
          'every worker is active again after the restarts',
          () => fleet.nodes(),
          (nodes) => workers.every((w) => nodes.find((n) => n.name === w)?.state === 'active'),
          { timeoutMs: timeouts.nodeReturns },
        );
        await expectSpread(
          ctx,
          `the replicas of the soak service are spread evenly and run after the restarts`,
          service,
          even,
        );
        const members = await ports.chainfire.at(voters[0] as string).members();
        ctx.check(
          'the chainfire members are still exactly the control-plane nodes, none a learner',
          members
            .map((m) => m.name)
            .sort()
            .join(',') === voters.join(',') && members.every((m) => !m.isLearner),
          members.map((m) => m.name).join(', '),
        );
        const after = await ctx.eventually('chainfire accepts a put after the restarts', () =>
          ports.chainfire.at(voters[0] as string).put(key, `after-${tag}`),
        );
        for (const voter of voters) {
          const read = await ctx.eventually(`chainfire on ${voter} answers a linearizable read`, () =>
            ports.chainfire.at(voter).get(key, 'linearizable'),
          );
          ctx.check(
            `chainfire on ${voter} reads the put made after the restarts at its revision`,
            read.value === `after-${tag}` && read.modRevision === after.revision,
            `wrote at revision ${after.revision}; read ${JSON.stringify(read)}`,
          );
        }
        const rows = await db.query<{ id: number; phase: string }>(`SELECT id, phase FROM ${table} ORDER BY id`);
        ctx.check(
          'the flaredb row written before the restarts reads back, alone',
          rows.length === 1 && rows[0]?.phase === 'before-restarts',
          JSON.stringify(rows),
        );
        await db.execute(`INSERT INTO ${table} (id, phase) VALUES (?, ?)`, [2, 'after-restarts']);
        const all = await db.query<{ phase: string }>(`SELECT phase FROM ${table} ORDER BY id`);
        ctx.check(
          'flaredb takes a row after the restarts and reads both back',
          all.map((r) => r.phase).join(',') === 'before-restarts,after-restarts',
          JSON.stringify(all),
        );
        await ctx.artifact('fleet-events.json', await fleet.events());
      },
    );

    await ctx.step(
      `the release boundary is written to the proof root, and every steady-state node recorded as not shipping nix-agent runs none`,
      async () => {
        await ctx.artifact('deployer-scope-fixed.txt', `${deployerScope.join('\n')}\n`);
        await ctx.artifact('fleet-scheduler-scope-fixed.txt', `${fleetSchedulerScope.join('\n')}\n`);
        const without = cluster.descriptor.nodes.filter((n) => !n.services['nix-agent']).map((n) => n.name);
        for (const node of without) {
          const absent = await rejection(() => cluster.node(node).serviceInstance('nix-agent'));
          ctx.check(`${node}, recorded as not shipping nix-agent, runs no nix-agent process`, absent !== null);
          await ctx.artifact(
            `nix-agent-scope/${node}.txt`,
            [
              `node: ${node}`,
              'nix-agent.service: not shipped on this steady-state node',
              `executable nix-agent proof: ${nixAgentProof.join(', ')}`,
              '',
            ].join('\n'),
          );
        }
        const shipping = cluster.descriptor.nodes.filter((n) => n.services['nix-agent']).map((n) => n.name);
        await ctx.artifact('nix-agent-scope.json', {
          notShipped: without,
          shipped: shipping,
          executableProof: nixAgentProof,
        });
      },
    );
  },
});

/**
 * Hold a degraded state for `holdMs`: every few seconds read the placements and the fleet's nodes and run
 * `checks` on them (a false check fails the lane at once); every sample is written to `artifactName`.
 */
async function hold(
  ctx: LaneContextWithWaits<Cluster>,
  artifactName: string,
  checks: (
    placed: Placement[],
    nodes: Awaited<ReturnType<Cluster['ports']['fleetScheduler']['nodes']>>,
  ) => Promise<void>,
): Promise<void> {
  const fleet = ctx.target.ports.fleetScheduler;
  const samples: Array<{ at: string; placements: string; nodes: string }> = [];
  const end = Date.now() + holdMs;
  try {
    for (;;) {
      const [{ instances }, nodes] = await Promise.all([fleet.placements(), fleet.nodes()]);
      samples.push({
        at: new Date().toISOString(),
        placements: instances
          .map((p) => `${p.service}/${p.id}@${p.node}${p.running ? '' : ' (not running)'}`)
          .join(' '),
        nodes: nodes.map((n) => `${n.name}=${n.state}`).join(' '),
      });
      await checks(instances, nodes);
      const left = end - Date.now();
      if (left <= 0) break;
      if (samples.length % 3 === 0)
        ctx.log(`holding: ${samples.length} checks passed, ${Math.ceil(left / 1000)} s of ${holdMs / 1000} s left`);
      await sleep(Math.min(holdCheckEveryMs, left), ctx.signal);
    }
  } finally {
    await ctx.artifact(artifactName, { holdMs, checks: samples.length, samples });
  }
  ctx.log(`held for ${holdMs} ms, ${samples.length} checks`);
}

/** the placements of `service` are exactly `want`, every replica running */
function expectHeld(
  ctx: LaneContextWithWaits<Cluster>,
  placed: Placement[],
  service: string,
  label: string,
  want: Record<string, number>,
) {
  const mine = placed.filter((p) => p.service === service);
  const notRunning = mine.filter((p) => !p.running).map((p) => p.id);
  ctx.check(
    `${label} keeps its replicas placed as ${formatSpread(want)}, all running, at every check of the hold`,
    formatSpread(spreadOf(mine, service)) === formatSpread(want) && notRunning.length === 0,
    `placed ${formatSpread(spreadOf(mine, service))}; not running: ${notRunning.join(', ') || 'none'}`,
  );
}
