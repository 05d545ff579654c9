import { randomBytes } from 'node:crypto';
import { SettledViolation } from '../../contracts/errors.ts';
import type { ChainfirePort } from '../../contracts/ports/chainfire.ts';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { linearizableDuring } from './chainfire-history.ts';

const canonicalVoters = ['node01', 'node02', 'node03'];
const temporary = 'node04';

/**
 * The seed's chainfire-live-membership-proof: from the canonical three-voter control plane, a temporary learner
 * on node04 catches up, is promoted, takes part in a live leader transfer, restarts and rejoins; the current leader
 * is removed and re-added; the cluster scales back in to the canonical shape. A local serializable read proves the
 * data at every transition, and concurrent clients record a history across every membership change that must be
 * linearizable.
 */
export const chainfireLiveMembership = defineLane<Cluster>({
  name: 'chainfire-live-membership-proof',
  group: 'publishable',
  tags: ['needs-root', 'disruptive'],
  summary: 'ChainFire live reconfiguration on the canonical control-plane shape',
  requires: [
    'chainfire.addLearner',
    'chainfire.get',
    'chainfire.members',
    'chainfire.promote',
    'chainfire.put',
    'chainfire.removeMember',
    'chainfire.status',
    'chainfire.transferLeader',
  ],
  async run(ctx) {
    const cf = ctx.target.ports.chainfire;
    const key = `proof/chainfire-live-membership/${randomBytes(4).toString('hex')}`;
    const transitions: Array<{ transition: string; node: string; value: string | null }> = [];

    const voters = async (via = cf) =>
      (await via.members())
        .filter((m) => !m.isLearner)
        .map((m) => m.name)
        .sort();
    const leaderSeenBy = async (node: string) => {
      const s = await cf.at(node).status();
      if (!s.leader) throw new Error(`${node} sees no leader`);
      return s.leader;
    };
    /** the transition's proof: every listed member answers the latest value from its own replica */
    const proveLocalReads = async (transition: string, nodes: string[], value: string) => {
      for (const node of nodes) {
        const read = await ctx.eventually(
          `${node} serves "${value}" from its local replica (${transition})`,
          async () => {
            const r = await cf.at(node).get(key, 'serializable');
            if (r.value !== value) throw new Error(`${node} answered ${JSON.stringify(r.value)}`);
            return r;
          },
          { timeoutMs: 30_000 },
        );
        transitions.push({ transition, node, value: read.value });
      }
    };

    await ctx.step('start from the canonical three-voter control plane', async () => {
      const v = await voters();
      ctx.check('exactly the canonical voters', sameList(v, canonicalVoters), `voters: ${v.join(', ')}`);
      const leader = await ctx.eventually('the control plane has a leader', () => leaderSeenBy('node01'));
      ctx.log(`leader: ${leader}`);
      await cf.put(key, 'v1-canonical');
      await proveLocalReads('canonical', canonicalVoters, 'v1-canonical');
    });

    await ctx.step(`add a temporary learner on ${temporary}`, async () => {
      await linearizableDuring(ctx, `the learner add of ${temporary}`, canonicalVoters, async () => {
        await cf.addLearner(temporary);
        // a new member has no name until it first talks to the cluster: find it by its peer address
        const address = ctx.target.node(temporary).address;
        await ctx.eventually(`${temporary} is listed as a learner`, async () => {
          const learner = (await cf.members()).find(
            (m) => m.name === temporary || m.peerUrls.some((u) => new URL(u).hostname === address),
          );
          if (learner?.isLearner !== true) throw new Error(`member entry: ${JSON.stringify(learner ?? null)}`);
        });
      });
    });

    await ctx.step('the learner catches up from its local replica', async () => {
      await cf.put(key, 'v2-learner');
      await proveLocalReads('learner catch-up', [temporary], 'v2-learner');
    });

    await ctx.step(`promote ${temporary} to voter`, async () => {
      await linearizableDuring(ctx, `the promotion of ${temporary}`, canonicalVoters, () =>
        ctx.eventually(`${temporary} can be promoted once in sync`, () => cf.promote(temporary), {
          timeoutMs: 30_000,
        }),
      );
      const v = await voters();
      ctx.check(`${temporary} is a voter`, v.includes(temporary), `voters: ${v.join(', ')}`);
      await cf.put(key, 'v3-promoted');
      await proveLocalReads('promotion', [...canonicalVoters, temporary], 'v3-promoted');
    });

    await ctx.step('transfer leadership live to another voter', async () => {
      const before = await leaderSeenBy('node01');
      const to = [temporary, ...canonicalVoters].find((n) => n !== before) as string;
      // leadership only ever moves by an election, and an election begins a new term
      const termBefore = (await cf.at(to).status()).raftTerm;
      await linearizableDuring(ctx, `the leader transfer to ${to}`, [...canonicalVoters, temporary], async () => {
        const answer = await cf.transferLeader(to);
        await ctx.eventually(`leadership moved from ${before} to ${to}`, async () => {
          const now = await cf.at(to).status();
          if (!now.leader) throw new Error(`${to} sees no leader`);
          if (now.leader === to) return;
          // the transfer answers once it is done: done, with no election on the transferee, it moved nothing
          if (answer.transferred && termBefore !== undefined && now.raftTerm === termBefore) {
            throw new SettledViolation(
              `the transfer answered ${JSON.stringify(answer)}, yet ${to} is still at term ${termBefore}, the term before the transfer, and follows ${now.leader}: no election was held`,
            );
          }
          throw new Error(`leader is still ${now.leader}`);
        });
      });
      await cf.put(key, 'v4-transferred');
      await proveLocalReads('leader transfer', [...canonicalVoters, temporary], 'v4-transferred');
    });

    await ctx.step(`restart the temporary voter ${temporary}; it rejoins`, async () => {
      await linearizableDuring(ctx, `the restart of ${temporary}`, canonicalVoters, async () => {
        await ctx.target.node(temporary).power.restart();
        await ctx.eventually(`${temporary} rejoined and follows a leader`, () => leaderSeenBy(temporary), {
          timeoutMs: 60_000,
        });
      });
      await cf.at('node01').put(key, 'v5-rejoined');
      await proveLocalReads('temporary voter rejoin', [...canonicalVoters, temporary], 'v5-rejoined');
    });

    let removed = '';
    await ctx.step('remove the current leader', async () => {
      removed = await leaderSeenBy('node01');
      const survivor = [...canonicalVoters, temporary].find((n) => n !== removed) as string;
      const survivors = [...canonicalVoters, temporary].filter((n) => n !== removed);
      const newLeader = await linearizableDuring(ctx, `the removal of the leader ${removed}`, survivors, async () => {
        await cf.at(survivor).removeMember(removed);
        await ctx.eventually(`${removed} is no longer a member`, async () => {
          const names = (await cf.at(survivor).members()).map((m) => m.name);
          if (names.includes(removed)) throw new Error(`members: ${names.join(', ')}`);
        });
        return await ctx.eventually('the remaining voters elect a new leader', async () => {
          const l = await leaderSeenBy(survivor);
          if (l === removed) throw new Error(`leader is still ${l}`);
          return l;
        });
      });
      ctx.log(`new leader: ${newLeader}`);
      await cf.at(survivor).put(key, 'v6-leader-removed');
      const remaining = [...canonicalVoters, temporary].filter((n) => n !== removed);
      await proveLocalReads('leader removal', remaining, 'v6-leader-removed');
    });

    await ctx.step('re-add the removed leader', async () => {
      const survivors = [...canonicalVoters, temporary].filter((n) => n !== removed);
      const via = cf.at(survivors[0] as string);
      await ctx.eventually(`${removed} stands by after its removal`, async () => {
        if ((await cf.at(removed).status()).member) throw new Error(`${removed} still reports membership`);
      });
      await linearizableDuring(ctx, `the re-add and promotion of ${removed}`, survivors, async () => {
        await via.addLearner(removed);
        await proveLocalReads('removed leader re-added as learner', [removed], 'v6-leader-removed');
        await ctx.eventually(`${removed} can be promoted again`, () => via.promote(removed), { timeoutMs: 30_000 });
      });
      const v = await voters(via);
      ctx.check(`${removed} is a voter again`, v.includes(removed), `voters: ${v.join(', ')}`);
    });

    await ctx.step('scale back in to the canonical three-node shape', async () => {
      await linearizableDuring(ctx, `the scale-in removing ${temporary}`, canonicalVoters, async () => {
        await moveLeadershipOff(ctx, cf, temporary);
        await cf.at('node01').removeMember(temporary);
        await ctx.eventually('exactly the canonical voters remain', async () => {
          const v = await voters(cf.at('node01'));
          if (!sameList(v, canonicalVoters)) throw new Error(`voters: ${v.join(', ')}`);
        });
      });
      await cf.at('node01').put(key, 'v7-canonical-again');
      await proveLocalReads('scale-in', canonicalVoters, 'v7-canonical-again');
    });

    await ctx.artifact('serializable-reads.json', transitions);
    await ctx.artifact('final-members.json', await cf.at('node01').members());
  },
});

async function moveLeadershipOff(ctx: LaneContextWithWaits<Cluster>, cf: ChainfirePort, node: string) {
  const leader = (await cf.at('node01').status()).leader;
  if (leader !== node) return;
  await cf.transferLeader('node01');
  await ctx.eventually(`leadership moved off ${node} before its removal`, async () => {
    const l = (await cf.at('node01').status()).leader;
    if (l === node) throw new Error(`leader is still ${l}`);
  });
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}
