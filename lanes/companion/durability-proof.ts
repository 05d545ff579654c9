import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { MetricSample } from '../../contracts/ports/nightlight.ts';
import type { Cluster } from '../../contracts/target.ts';
import { clusterAttribute, evaluatedClusterState } from '../../harness/cluster-authoring.ts';
import { defineLane, type LaneContext } from '../../harness/define.ts';
import { timeouts } from '../../harness/timeouts.ts';
import { nodesRunning, restartedInstance } from '../portable/portable-cluster.ts';
import { coronafsNodeLoss, lightningstorNodeLoss } from './durability-faults.ts';
import { chainfireExportRestore, flaredbBackupRestore } from './durability-stores.ts';

/** the class the pre-registered node gets: the bare-metal worker class of the flake's ultracloud.cluster */
const nodeClass = 'baremetal-qemu-worker';

/**
 * The seed's durability-proof: the canonical chainfire, flaredb and deployer backup/restore lane — logical
 * backup/restore of ChainFire keys and FlareDB SQL rows, the Deployer admin pre-register request kept as the
 * backup artifact, the pre-registered node surviving a deployer.service restart, the same request replayed
 * idempotently, CoronaFS and LightningStor failures injected on the live cluster, and NightLight's WAL and
 * snapshot surviving a restart. Everything it powers off or attaches is put back by its undos.
 */
export const durabilityProof = defineLane<Cluster>({
  name: 'durability-proof',
  group: 'companion',
  tags: ['needs-root', 'disruptive'],
  summary:
    'backup/restore of chainfire keys and flaredb rows, deployer pre-register replay across a restart, coronafs and lightningstor node loss, nightlight WAL recovery',
  requires: [
    'chainfire.get',
    'chainfire.put',
    'coronafs.attach',
    'coronafs.createVolume',
    'coronafs.detach',
    'coronafs.export',
    'coronafs.listVolumes',
    'coronafs.read',
    'coronafs.snapshot',
    'coronafs.volume',
    'coronafs.write',
    'deployer.applyCluster',
    'deployer.classes',
    'deployer.inspect',
    'deployer.nodes',
    'deployer.preregister',
    'flaredb.backup',
    'flaredb.execute',
    'flaredb.migrate',
    'flaredb.migrations',
    'flaredb.query',
    'flaredb.restore',
    'flaredb.tables',
    'fleet-scheduler.nodes',
    'lightningstor.createBucket',
    'lightningstor.getObject',
    'lightningstor.headBucket',
    'lightningstor.listObjectVersions',
    'lightningstor.putObject',
    'nightlight.ingest',
    'nightlight.query',
    'nightlight.snapshot',
    'nightlight.status',
  ],
  scopeContract: {
    deployer: 'one active writer plus optional cold-standby restore, not automatic multi-instance failover',
    recovery: 'recover one writer, re-apply generated cluster state, replay preserved admin pre-register requests',
    chainfire: 'logical export of a key set read through the KV API and re-put; no snapshot restore of the store',
    nightlight: 'single-node WAL/snapshot service; no replicated HA metrics storage',
  },
  async run(ctx) {
    const tag = randomBytes(3).toString('hex');

    await ctx.step(
      'flaredb: a logical backup restored into an empty store holds every table and row of the source, and no row written after the backup',
      () => flaredbBackupRestore(ctx, tag),
    );

    await ctx.step(
      "chainfire: the lane's keys exported by reading them from another voter and re-put under a fresh prefix read back value for value on every voter; a key written after the export is not restored",
      () => chainfireExportRestore(ctx, tag),
    );

    await deployerReplay(ctx, tag);

    await ctx.step(
      'coronafs: a volume keeps its attachment, snapshot and every acknowledged byte through a power loss of the node holding it',
      () => coronafsNodeLoss(ctx, tag),
    );

    await ctx.step(
      'lightningstor: while the object store node that took the writes is powered off, another replica answers a HEAD with the bucket and the latest version; afterwards every acknowledged version reads back',
      () => lightningstorNodeLoss(ctx, tag),
    );

    await ctx.step(
      'nightlight: samples in its snapshot and in its WAL read back after a restart in a new process, none lost and none duplicated',
      () => nightlightRestart(ctx, tag),
    );
  },
});

/** The canonical admin pre-register request as the backup artifact, a deployer restart, and its replay. */
async function deployerReplay(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const deployer = ctx.target.ports.deployer;
  const deployerNode = ctx.target.node(nodesRunning(ctx.target, 'deployer')[0] as string);
  const nodeId = `UC-DURABILITY-${tag.toUpperCase()}`;
  const request = { node_id: nodeId, node_class: nodeClass, hostname: `durability-${tag}` };
  let artifact = '';
  let registeredAt = '';

  await ctx.step(
    'deployer: the admin pre-register request, kept as the backup artifact, registers the node',
    async () => {
      const evaluated = await evaluatedClusterState(ctx);
      ctx.check(`the evaluated ${clusterAttribute} has the node class ${nodeClass}`, nodeClass in evaluated.classes);
      await deployer.applyCluster(evaluated);
      artifact = await ctx.artifact('deployer-preregister-request.json', request);
      const res = await deployer.preregister(request);
      ctx.check('the node is newly pre-registered', res.created && res.node.node_id === nodeId, JSON.stringify(res));
      registeredAt = res.node.registered_at;
    },
  );

  await ctx.step(
    'deployer: the pre-registered node survives a restart of the deployer service, which runs in a new process afterwards',
    async () => {
      const before = await deployer.nodes();
      await restartedInstance(ctx, deployerNode, 'deployer');
      const after = await ctx.eventually(
        `deployer on ${deployerNode.name} answers again after its restart`,
        () => deployer.nodes(),
        { timeoutMs: timeouts.serviceRestart },
      );
      await ctx.artifact('deployer-post-restart-list.json', after);
      const node = after.find((n) => n.node_id === nodeId);
      ctx.check(
        `the pre-registered node ${nodeId} is listed after the restart with its class, hostname and registration time`,
        node?.node_class === nodeClass && node.hostname === request.hostname && node.registered_at === registeredAt,
        JSON.stringify(node ?? `${after.length} nodes listed, not ${nodeId}`),
      );
      const lost = before.filter((b) => !after.some((a) => a.node_id === b.node_id)).map((b) => b.node_id);
      ctx.check('no node known before the restart is missing after it', lost.length === 0, lost.join(', '));
    },
  );

  await ctx.step(
    'deployer: the request replayed from the backup artifact is idempotent: still exactly one node of that id, nothing duplicated',
    async () => {
      const preserved = JSON.parse(await readFile(artifact, 'utf8')) as typeof request;
      ctx.check(
        'the backup artifact holds the request as sent',
        JSON.stringify(preserved) === JSON.stringify(request),
        JSON.stringify(preserved),
      );
      const before = await deployer.nodes();
      const replay = await deployer.preregister(preserved);
      ctx.check(
        'the replay answers the existing node and creates none',
        !replay.created && replay.node.node_id === nodeId && replay.node.registered_at === registeredAt,
        JSON.stringify(replay),
      );
      const after = await deployer.nodes();
      const copies = after.filter((n) => n.node_id === nodeId).length;
      ctx.check(`exactly one node ${nodeId} after the replay`, copies === 1, `${copies} entries for ${nodeId}`);
      ctx.check(
        'the replay adds no node to the list',
        after.length === before.length,
        `${before.length} nodes before the replay, ${after.length} after`,
      );
      const inspected = await deployer.inspect(nodeId);
      ctx.check(
        'inspecting the node shows the pre-registered record',
        inspected?.node_class === nodeClass && inspected.hostname === request.hostname,
        JSON.stringify(inspected),
      );
    },
  );
}

/**
 * NightLight: samples compacted into a snapshot, more only in the WAL, a restart of the service (shown to run a
 * new process), and every sample read back exactly once.
 */
async function nightlightRestart(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const name = nodesRunning(ctx.target, 'nightlight')[0] as string;
  const nightlight = ctx.target.ports.nightlight.at(name);
  const series = `durability_${tag}`;
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  const samples: MetricSample[] = Array.from({ length: 15 }, (_, i) => ({ series, t: t0 + i * 1000, v: i * 1.5 }));
  await nightlight.ingest(samples.slice(0, 10));
  const compacted = await nightlight.snapshot();
  ctx.check('the snapshot compacts at least the samples ingested', compacted.samples >= 10, JSON.stringify(compacted));
  await nightlight.ingest(samples.slice(10));
  const walBefore = (await nightlight.status()).walBytes;
  ctx.check('the samples after the snapshot are in the WAL', walBefore > 0, `${walBefore} WAL bytes`);

  await restartedInstance(ctx, ctx.target.node(name), 'nightlight');
  const status = await ctx.eventually(
    `nightlight on ${name} answers again after its restart`,
    () => nightlight.status(),
    { timeoutMs: timeouts.serviceRestart },
  );
  const read = await nightlight.query(series);
  await ctx.artifact('nightlight-after-restart.json', { node: name, status, series, samples: read });
  const text = (s: MetricSample) => `${s.t}=${s.v}`;
  const want = samples.map(text);
  const got = read.map(text);
  ctx.check(
    'every sample acknowledged before the restart reads back after it, none lost and none duplicated',
    got.length === want.length && want.every((w) => got.includes(w)),
    `${got.length} of ${want.length} samples: ${got.join(' ')}`,
  );
  ctx.check(
    'the restart recovered samples from the snapshot and replayed the WAL',
    status.recovered.fromSnapshot >= 10 && status.recovered.fromWal >= 5,
    JSON.stringify(status.recovered),
  );
}
