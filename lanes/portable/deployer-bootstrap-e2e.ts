import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import type { InstallPlan } from '../../contracts/ports/deployer.ts';
import type { Cluster } from '../../contracts/target.ts';
import {
  applyAndCheck,
  checkAppliedEqualsEvaluated,
  clusterAttribute,
  evaluatedClusterState,
} from '../../harness/cluster-authoring.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { nodesRunning, rejection, restartService } from './portable-cluster.ts';

const workerClass = 'baremetal-qemu-worker';

/**
 * deployer-bootstrap-e2e: an operator pre-registers a node; the node phones home with the bootstrap token and
 * gets its class's install plan and flake bundle; the pre-registered node survives a deployer restart, and
 * replaying the preserved pre-register request is idempotent; once revoked, the bootstrap token phones home no more.
 * The class and its install plan come from the flake's `ultracloud.cluster`, applied through the deployer; after
 * the restart the generated state is re-applied (the seed's recovery) and read back equal to the evaluated one.
 */
export const deployerBootstrapE2e = defineLane<Cluster>({
  name: 'deployer-bootstrap-e2e',
  group: 'portable',
  tags: ['needs-root'],
  summary:
    'pre-register, token phone-home, install plan, deployer restart survival, idempotent replay, token revocation',
  requires: [
    'deployer.appliedCluster',
    'deployer.applyCluster',
    'deployer.classes',
    'deployer.downloadBundle',
    'deployer.issueBootstrapToken',
    'deployer.nodes',
    'deployer.phoneHome',
    'deployer.preregister',
    'deployer.revokeBootstrapToken',
  ],
  scopeContract: {
    deployer: 'one active writer plus optional cold-standby restore, not automatic multi-instance failover',
    recovery: 'recover one writer, re-apply generated cluster state, replay preserved admin pre-register requests',
  },
  async run(ctx: LaneContextWithWaits<Cluster>) {
    const cluster = ctx.target;
    const deployer = cluster.ports.deployer;
    const deployerNode = cluster.node(nodesRunning(cluster, 'deployer')[0] as string);
    const serial = `UC-E2E-${randomBytes(4).toString('hex').toUpperCase()}`;
    const request = { node_id: serial, node_class: workerClass, hostname: `worker-${serial.slice(-8).toLowerCase()}` };
    ctx.recordEnvironment({ vm_accelerator_mode: 'none', kvm_required: 'false' });

    const evaluated = await ctx.step(`evaluate the flake's ${clusterAttribute}`, async () => {
      const state = await evaluatedClusterState(ctx);
      await ctx.artifact('cluster-state-evaluated.json', state);
      ctx.check(`the evaluated state has the node class ${workerClass}`, state.classes[workerClass] !== undefined);
      return state;
    });
    const workerPlan = evaluated.classes[workerClass]?.install_plan as InstallPlan;
    const phoneHome = { node_id: serial, hostname: request.hostname, disks_by_id: [workerPlan.target_disk_by_id] };

    await ctx.step(
      'the generated cluster state applied through the deployer reads back equal to the evaluated state',
      async () => {
        await applyAndCheck(ctx, deployer, evaluated);
        const cls = (await deployer.classes()).find((c) => c.name === workerClass);
        ctx.check('the class carries its install plan', same(cls?.install_plan, workerPlan), JSON.stringify(cls));
      },
    );

    await ctx.step('pre-register the node through the admin API', async () => {
      await ctx.artifact('preregister-request.json', request);
      const res = await deployer.preregister(request);
      ctx.check('the node is newly pre-registered', res.created, JSON.stringify(res));
    });

    const token = await ctx.step('phone-home without the bootstrap token is refused', async () => {
      const issued = await deployer.issueBootstrapToken();
      const none = await rejection(() => deployer.phoneHome(phoneHome, null));
      ctx.check('phone-home without a token is refused', none !== null && /\b40[13]\b/.test(none), none ?? 'accepted');
      const wrong = await rejection(() =>
        deployer.phoneHome(phoneHome, `ucbt_${randomBytes(24).toString('base64url')}`),
      );
      ctx.check(
        'phone-home with a wrong token is refused',
        wrong !== null && /\b40[13]\b/.test(wrong),
        wrong ?? 'accepted',
      );
      return issued;
    });

    try {
      await ctx.step('phone-home with the bootstrap token answers the install plan', async () => {
        const answer = await deployer.phoneHome(phoneHome, token.token).catch((err: Error) => {
          ctx.check('phone-home with the bootstrap token is accepted', false, err.message);
          throw err;
        });
        await ctx.artifact('phone-home-answer.json', answer);
        ctx.check('the install plan is the class plan', same(answer.install_plan, workerPlan), JSON.stringify(answer));
        ctx.check('the target disk is among the disks the node reported', answer.target_disk_present === true);
      });

      await ctx.step('the flake bundle downloads as a tar.gz holding the disko config', async () => {
        const bundle = await deployer.downloadBundle(workerClass, token.token);
        ctx.check('the bundle is gzip data', bundle[0] === 0x1f && bundle[1] === 0x8b, `${bundle.length} bytes`);
        const listing = await execa('tar', ['-tzf', '-'], { input: bundle, reject: false });
        const files = listing.stdout.split('\n').map((f) => f.replace(/^\.\//, ''));
        ctx.check(
          'the bundle holds the install plan disko config',
          files.includes(workerPlan.disko_config_path),
          files.join(', '),
        );
      });

      await ctx.step('a deployer restart brings up a new process that answers', async () => {
        await restartService(ctx, deployerNode, 'deployer', () => deployer.classes());
      });

      await ctx.step('the pre-registered node survives the deployer restart', async () => {
        const nodes = await deployer.nodes();
        await ctx.artifact('deployer-post-restart-list.json', nodes);
        const node = nodes.find((n) => n.node_id === serial);
        ctx.check(
          'the pre-registered node survives a deployer restart',
          node !== undefined,
          `${nodes.length} nodes listed`,
        );
        ctx.check('it keeps its class', node?.node_class === workerClass, JSON.stringify(node));
        ctx.check(
          'it keeps its phone-home record',
          node?.phone_home?.hostname === request.hostname,
          JSON.stringify(node),
        );
      });

      await ctx.step(
        'after the restart, re-applying the generated cluster state changes nothing and it reads back equal to the evaluated state',
        async () => {
          const again = await deployer.applyCluster(evaluated);
          ctx.check(
            'the re-apply after the restart changes nothing',
            again.created.length + again.changed.length + again.removed.length === 0,
            JSON.stringify(again),
          );
          await checkAppliedEqualsEvaluated(ctx, deployer, evaluated);
        },
      );

      await ctx.step('replaying the same pre-register request is idempotent', async () => {
        const replay = await deployer.preregister(request);
        ctx.check(
          'the replay answers the existing node',
          !replay.created && replay.node.node_id === serial,
          JSON.stringify(replay),
        );
        const copies = (await deployer.nodes()).filter((n) => n.node_id === serial).length;
        ctx.check(
          'replaying the pre-register request creates no duplicate',
          copies === 1,
          `${copies} entries for ${serial}`,
        );
      });

      await ctx.step(
        'a replayed pre-register request with another hostname is refused (409) and the node keeps its record',
        async () => {
          const before = (await deployer.nodes()).find((n) => n.node_id === serial);
          const conflicting = await rejection(() =>
            deployer.preregister({ ...request, hostname: `${request.hostname}-other` }),
          );
          ctx.check(
            'the pre-register replay with another hostname is refused with 409',
            conflicting !== null && /\b409\b/.test(conflicting),
            conflicting ?? 'accepted',
          );
          const after = (await deployer.nodes()).filter((n) => n.node_id === serial);
          ctx.check(
            'the node keeps its hostname, class and registration time, and has no second entry',
            after.length === 1 &&
              after[0]?.hostname === request.hostname &&
              after[0]?.node_class === workerClass &&
              after[0]?.registered_at === before?.registered_at,
            JSON.stringify(after),
          );
        },
      );

      await ctx.step('a revoked bootstrap token is refused at phone-home', async () => {
        await deployer.revokeBootstrapToken(token.id);
        const revoked = await rejection(() => deployer.phoneHome(phoneHome, token.token));
        ctx.check(
          'phone-home with the revoked bootstrap token is refused',
          revoked !== null && /\b40[13]\b/.test(revoked),
          revoked ?? 'accepted',
        );
      });
    } finally {
      await deployer.revokeBootstrapToken(token.id).catch(() => undefined);
    }
  },
});

function same(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  return JSON.stringify(a, Object.keys(a as object).sort()) === JSON.stringify(b, Object.keys(b as object).sort());
}
