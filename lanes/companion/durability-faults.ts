import { createHash } from 'node:crypto';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import { timeouts } from '../../harness/timeouts.ts';
import { nodesRunning } from '../portable/portable-cluster.ts';
import { nodeServicesAnswer } from './durability-stores.ts';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Power a node off without a shutdown (power loss), and register the power-on as an undo first, so the shared
 * cluster gets the node back whatever happens. Resolves once the node is off and `gone` says its service stopped
 * answering; `back()` powers it on, waits until every service of the node answers and shows it booted again.
 */
async function losePower(
  ctx: LaneContext<Cluster>,
  name: string,
  gone: () => Promise<unknown>,
): Promise<{ back(): Promise<void> }> {
  const node = ctx.target.node(name);
  const bootBefore = await node.bootId();
  const powerOn = async () => {
    if ((await node.power.state()) === 'stopped') await node.power.start();
    await nodeServicesAnswer(ctx, name);
    await workerActive(ctx, name);
  };
  ctx.defer(`${name} is powered on and its services answer`, powerOn);
  await node.power.kill();
  ctx.check(`${name} is powered off`, (await node.power.state()) === 'stopped');
  await ctx.until(
    `the service on ${name} stops answering once the node lost power`,
    () =>
      gone().then(
        () => 'answered',
        () => 'unreachable',
      ),
    (outcome) => outcome === 'unreachable',
    { timeoutMs: timeouts.nodeLost },
  );
  return {
    async back() {
      await powerOn();
      const bootAfter = await node.bootId();
      ctx.check(`${name} came back in a new boot`, bootAfter !== bootBefore, `boot ${bootBefore} → ${bootAfter}`);
    },
  };
}

/** a worker the fleet scheduler tracks is active again (a node it does not track has nothing to wait for) */
async function workerActive(ctx: LaneContext<Cluster>, name: string): Promise<void> {
  if (!ctx.target.descriptor.nodes.some((n) => n.services['fleet-scheduler'])) return;
  const fleet = ctx.target.ports.fleetScheduler;
  if (!(await fleet.nodes()).some((n) => n.name === name)) return;
  await ctx.until(
    `fleet-scheduler sees ${name} active again`,
    async () => (await fleet.nodes()).find((n) => n.name === name)?.state,
    (state) => state === 'active',
    { timeoutMs: timeouts.nodeReturns },
  );
}

/**
 * CoronaFS: a volume attached to the node whose CoronaFS holds it, written before and after a snapshot, survives
 * that node's power loss: the same attachment, snapshot and bytes afterwards, and the snapshot still without the
 * write that came after it.
 */
export async function coronafsNodeLoss(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const holder = nodesRunning(ctx.target, 'coronafs')[0] as string;
  const coronafs = ctx.target.ports.coronafs.at(holder);
  const name = `durability-${tag}`;
  const first = Buffer.from(`durability-proof ${tag} first block`.padEnd(4096, '.'));
  const second = Buffer.from(`durability-proof ${tag} second block`.padEnd(4096, '#'));
  const later = Buffer.from(`durability-proof ${tag} after the snapshot`.padEnd(4096, '~'));
  await coronafs.createVolume(name, 1 << 20);
  await coronafs.attach(name, holder);
  ctx.defer(`volume ${name} is detached from ${holder}`, async () => {
    if ((await coronafs.volume(name)).attachedTo === holder) await coronafs.detach(name, holder);
  });
  await coronafs.write(name, holder, 0, first);
  await coronafs.write(name, holder, 65_536, second);
  await coronafs.snapshot(name, 'before-loss');
  await coronafs.write(name, holder, 131_072, later);
  const before = await coronafs.volume(name);
  const image = await coronafs.export(name);
  ctx.check('the export of the volume carries the sha256 of its image', sha256(image.image) === image.sha256);

  const power = await losePower(ctx, holder, () => coronafs.volume(name));
  await power.back();

  const after = await ctx.eventually(`coronafs on ${holder} answers for ${name} again`, () => coronafs.volume(name), {
    timeoutMs: timeouts.nodeReturns,
  });
  const reread = {
    first: await coronafs.read(name, 0, first.length),
    second: await coronafs.read(name, 65_536, second.length),
    later: await coronafs.read(name, 131_072, later.length),
    snapshotLater: await coronafs.read(name, 131_072, later.length, 'before-loss'),
    snapshotFirst: await coronafs.read(name, 0, first.length, 'before-loss'),
  };
  const exported = await coronafs.export(name);
  await ctx.artifact(`coronafs-${holder}-local-state.json`, {
    node: holder,
    volume: name,
    beforeLoss: { volume: before, sha256: image.sha256 },
    afterReturn: { volume: after, sha256: exported.sha256 },
    volumesOnNode: (await coronafs.listVolumes()).filter((v) => v.name === name),
  });
  ctx.check(
    `${name} is still attached to ${holder} with its size and snapshot after the power loss`,
    after.attachedTo === holder && after.sizeBytes === before.sizeBytes && after.snapshots.includes('before-loss'),
    JSON.stringify(after),
  );
  ctx.check(
    'every block written before the power loss reads back byte for byte after it',
    reread.first.equals(first) && reread.second.equals(second) && reread.later.equals(later),
    `first ${reread.first.equals(first)}, second ${reread.second.equals(second)}, after the snapshot ${reread.later.equals(later)}`,
  );
  ctx.check(
    'the image exported after the power loss is the image exported before it',
    exported.sha256 === image.sha256,
    `${image.sha256} → ${exported.sha256}`,
  );
  ctx.check(
    'the snapshot holds the volume as it was when taken: its first block, not the write after it',
    reread.snapshotFirst.equals(first) && !reread.snapshotLater.equals(later),
    `snapshot's first block ${reread.snapshotFirst.equals(first) ? 'as written' : 'differs'}; the later block ${reread.snapshotLater.equals(later) ? 'shows in the snapshot' : 'absent'}`,
  );
}

/**
 * LightningStor: an object with two versions written through the first object store node, which then loses power.
 * While it is down another replica answers a HEAD of the object (its bucket and latest version) with the latest
 * version the lost node acknowledged: no other version, no missing object, no error. Once the node is back every
 * acknowledged version reads back from it by its id with its bytes. With a single object store node nothing else
 * can answer, and the HEAD may only fail: it must still answer nothing false.
 */
export async function lightningstorNodeLoss(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const stores = nodesRunning(ctx.target, 'lightningstor');
  const lost = stores[0] as string;
  const via = stores.find((n) => n !== lost) ?? lost;
  const ls = ctx.target.ports.lightningstor;
  const bucket = `durability-${tag}`;
  const key = 'state/blob.bin';
  const bodies = [`durability ${tag} version one`, `durability ${tag} version two`];
  await ls.at(lost).createBucket(bucket, { lane: 'durability-proof' });
  const versions: string[] = [];
  for (const body of bodies) versions.push((await ls.at(lost).putObject(bucket, key, body)).versionId);
  const head = async () => {
    const found = await ls.at(via).headBucket(bucket);
    const listed = found ? await ls.at(via).listObjectVersions(bucket, key) : [];
    return { bucket: found, latest: listed.find((v) => v.isLatest) ?? null };
  };
  const steady = await head();

  const power = await losePower(ctx, lost, () => ls.at(lost).headBucket(bucket));
  const during = await head().then(
    (answer) => ({ answered: true as const, answer }),
    (err: Error) => ({ answered: false as const, error: err.message }),
  );
  await ctx.artifact(`lightningstor-head-during-${lost}-outage.json`, {
    lostNode: lost,
    writtenVia: lost,
    acknowledgedVersions: versions,
    headVia: via,
    beforeOutage: steady,
    duringOutage: during,
  });
  await power.back();

  const wrong =
    during.answered && (during.answer.bucket === null || during.answer.latest?.versionId !== versions.at(-1));
  ctx.check(
    `a HEAD during the outage of ${lost} answers no other version and no missing object`,
    !wrong,
    JSON.stringify(during),
  );
  if (via !== lost) {
    ctx.check(
      `LightningStor on ${via} answers the HEAD while ${lost} is down`,
      during.answered,
      JSON.stringify(during),
    );
  }
  const listed = await ctx.eventually(
    `lightningstor lists ${key} again once ${lost} is back`,
    () => ls.at(lost).listObjectVersions(bucket, key),
    { timeoutMs: timeouts.nodeReturns },
  );
  const reads = await Promise.all(versions.map((v) => ls.at(lost).getObject(bucket, key, v)));
  ctx.check(
    'every version acknowledged before the outage is listed and reads back its bytes by version id',
    versions.every((v, i) => listed.some((l) => l.versionId === v) && reads[i]?.body.toString() === bodies[i]),
    `listed ${listed.map((l) => l.versionId).join(', ')}; acknowledged ${versions.join(', ')}`,
  );
  const latest = await ls.at(lost).getObject(bucket, key);
  ctx.check(
    'the latest version is still the last one written, and no version was added',
    latest?.versionId === versions.at(-1) && listed.length === versions.length,
    `latest ${latest?.versionId}; ${listed.length} versions listed`,
  );
}
