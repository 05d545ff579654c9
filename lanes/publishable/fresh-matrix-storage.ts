import { createHash } from 'node:crypto';
import type { ObjectVersion } from '../../contracts/ports/lightningstor.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import { HttpCallError } from '../../helpers/http.ts';
import type { Cleanup } from './fresh-matrix-cleanup.ts';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * LightningStor: bucket metadata read back and updated, an object put twice kept as two readable versions, and a
 * deleted object neither listed nor served while its older version stays readable by version id.
 */
export async function proveLightningstor(ctx: LaneContext<Cluster>, tag: string): Promise<string> {
  const store = ctx.target.ports.lightningstor;
  const bucket = `fresh-matrix-${tag}`;

  await ctx.step('lightningstor: bucket metadata is stored, read back and updated', async () => {
    const created = await store.createBucket(bucket, { lane: 'fresh-matrix', run: tag });
    ctx.check('the created bucket carries its metadata', created.metadata.run === tag, JSON.stringify(created));
    await store.updateBucketMetadata(bucket, { lane: 'fresh-matrix', run: tag, stage: 'updated' });
    const head = await store.headBucket(bucket);
    ctx.check(
      'the bucket metadata reads back updated',
      head?.metadata.stage === 'updated' && head.metadata.run === tag,
      JSON.stringify(head),
    );
    const listed = (await store.listBuckets()).some((b) => b.name === bucket);
    ctx.check('the bucket is listed', listed);
  });

  await ctx.step('lightningstor: an object put twice keeps two versions, both readable by version id', async () => {
    const key = 'matrix/state.txt';
    const v1 = await store.putObject(bucket, key, `first ${tag}`);
    const v2 = await store.putObject(bucket, key, `second ${tag}`);
    ctx.check('each put returns its own version id', v1.versionId !== v2.versionId, `${v1.versionId} ${v2.versionId}`);
    const versions = await store.listObjectVersions(bucket, key);
    await ctx.artifact('lightningstor-object-versions.json', versions);
    const ids = versions.map((v) => v.versionId);
    ctx.check(
      'both object versions are listed',
      ids.includes(v1.versionId) && ids.includes(v2.versionId),
      `listed: ${ids.join(', ')}`,
    );
    const latest = versions.filter((v) => v.isLatest).map((v) => v.versionId);
    ctx.check('the second put is the latest version', latest.join() === v2.versionId, `latest: ${latest.join(', ')}`);
    for (const [id, body] of [
      [v1.versionId, `first ${tag}`],
      [v2.versionId, `second ${tag}`],
    ] as const) {
      const got = await store.getObject(bucket, key, id);
      ctx.check(
        `object version ${id} is readable by its version id`,
        got?.body.toString() === body,
        got ? `read "${got.body.toString()}" as ${got.versionId}` : 'not found',
      );
    }
    const current = await store.getObject(bucket, key);
    ctx.check('a read without a version id answers the latest', current?.versionId === v2.versionId);
  });

  await ctx.step(
    'lightningstor: a deleted object is not listed and not served; its older version stays readable by version id',
    async () => {
      const key = 'matrix/deleted.txt';
      const kept = await store.putObject(bucket, key, `kept ${tag}`);
      const marker = await store.deleteObject(bucket, key);
      const versions = await store.listObjectVersions(bucket);
      await ctx.artifact('lightningstor-after-delete.json', versions);
      const listed = currentObjects(versions);
      ctx.check(
        "the deleted object is not listed among the bucket's current objects",
        !listed.includes(key),
        `current objects: ${listed.join(', ') || '(none)'}; versions of ${key}: ${JSON.stringify(versions.filter((v) => v.key === key))}`,
      );
      ctx.check(
        'an object that was not deleted is still listed',
        listed.includes('matrix/state.txt'),
        `current objects: ${listed.join(', ') || '(none)'}`,
      );
      const latest = await store.getObject(bucket, key);
      ctx.check(
        'a read of the deleted object without a version id is not served (404)',
        latest === null,
        latest
          ? `served "${latest.body.toString()}" as ${latest.versionId} after delete marker ${marker.versionId}`
          : '',
      );
      const old = await store.getObject(bucket, key, kept.versionId);
      ctx.check(
        'the version from before the delete stays readable by its version id',
        old?.body.toString() === `kept ${tag}`,
        old ? `read "${old.body.toString()}"` : 'not found',
      );
    },
  );
  return bucket;
}

/** the keys a bucket listing shows: those whose latest version is not a delete marker */
function currentObjects(versions: ObjectVersion[]): string[] {
  return [...new Set(versions.filter((v) => v.isLatest && !v.deleteMarker).map((v) => v.key))].sort();
}

/**
 * CoronaFS with LightningStor: a volume created, attached to a worker, written as that worker (and refused to
 * the other), read back from the attached node, written up to its end (and refused past it), snapshotted (the
 * snapshot read back and unchanged by a later write); then CoronaFS itself ships the snapshot into LightningStor
 * and a volume restored from that object on the other worker holds what the attached node wrote.
 */
export async function proveCoronafs(ctx: LaneContext<Cluster>, cleanup: Cleanup, tag: string, bucket: string) {
  const [attached, other] = ctx.target.withRole('worker').map((n) => n.name) as [string, string];
  const fs = ctx.target.ports.coronafs.at(attached);
  const volume = `fresh-matrix-${tag}`;
  const data = `coronafs ${tag} written by ${attached}`;

  await ctx.step(`coronafs: a volume written by ${attached} reads back from the attached node`, async () => {
    await fs.createVolume(volume, 1 << 20);
    await fs.attach(volume, attached);
    cleanup.add(`coronafs volume ${volume} attachment`, () => fs.detach(volume, attached));
    await fs.write(volume, attached, 4096, data);
    const refused = await fs.write(volume, other, 0, 'intruder').then(
      () => 'accepted',
      (err: unknown) => (err instanceof HttpCallError ? `refused ${err.status}` : `failed: ${String(err)}`),
    );
    ctx.check(`a write from ${other} (not attached) is refused`, refused.startsWith('refused 4'), refused);
    const local = (await fs.read(volume, 4096, data.length)).toString();
    ctx.check(`the write reads back from ${attached}`, local === data, `read "${local}"`);
    const head = (await fs.read(volume, 0, 8)).toString('hex');
    ctx.check('the refused write left the volume untouched', head === '0'.repeat(16), `first bytes ${head}`);
  });

  await ctx.step(
    "coronafs: a write that ends at the volume's end is accepted; a write past the end is refused and changes nothing",
    async () => {
      const size = (await fs.volume(volume)).sizeBytes;
      const tail = 'tail-end';
      await fs.write(volume, attached, size - tail.length, tail);
      const atEnd = (await fs.read(volume, size - tail.length, tail.length)).toString();
      ctx.check(`a write of the volume's last ${tail.length} bytes reads back`, atEnd === tail, `read "${atEnd}"`);
      const past = await fs.write(volume, attached, size - 4, 'pastend!').then(
        () => 'accepted',
        (err: unknown) => (err instanceof HttpCallError ? `refused ${err.status}` : `failed: ${String(err)}`),
      );
      ctx.check(
        `a write of 8 bytes at offset ${size - 4} (4 past the end of ${size}) is refused`,
        past.startsWith('refused 4'),
        past,
      );
      const after = (await fs.read(volume, size - tail.length, tail.length)).toString();
      ctx.check('the refused write left the end of the volume untouched', after === tail, `read "${after}"`);
      const resized = (await fs.volume(volume)).sizeBytes;
      ctx.check(`the volume is still ${size} bytes`, resized === size, `${resized} bytes`);
    },
  );

  const snapshot = `s-${tag}`;
  const later = `coronafs ${tag} rewritten by ${attached} after the snapshot`;
  let atSnapshot = '';
  await ctx.step(
    'coronafs: a snapshot holds the volume as it was when taken; later writes do not change it',
    async () => {
      const size = (await fs.volume(volume)).sizeBytes;
      atSnapshot = sha256(await fs.read(volume, 0, size));
      const made = await fs.snapshot(volume, snapshot);
      ctx.check('the volume lists the snapshot', made.snapshots.includes(snapshot), JSON.stringify(made));
      const snapAtFirst = sha256(await fs.read(volume, 0, size, snapshot));
      ctx.check(
        'the snapshot read back holds the whole volume as it was when taken',
        snapAtFirst === atSnapshot,
        `snapshot ${snapAtFirst}, volume at snapshot time ${atSnapshot}`,
      );
      await fs.write(volume, attached, 4096, later);
      const live = (await fs.read(volume, 4096, later.length)).toString();
      ctx.check(`the volume reads the write ${attached} made after the snapshot`, live === later, `read "${live}"`);
      const snapRegion = (await fs.read(volume, 4096, data.length, snapshot)).toString();
      ctx.check(
        'a write to the volume after the snapshot does not change the snapshot',
        snapRegion === data,
        `snapshot reads "${snapRegion}" where "${data}" was when it was taken`,
      );
      const snapAfter = sha256(await fs.read(volume, 0, size, snapshot));
      ctx.check(
        'the whole snapshot is unchanged by the later write',
        snapAfter === atSnapshot,
        `snapshot ${snapAfter}, volume at snapshot time ${atSnapshot}`,
      );
    },
  );

  await shipSnapshot(ctx, cleanup, { attached, other, volume, snapshot, bucket, data, atSnapshot });
}

/**
 * CoronaFS ships a snapshot to LightningStor itself: the object's only version was written from the attached
 * worker's address (not the lane's), a volume CoronaFS restores from it on the other worker holds what the attached
 * node wrote up to the snapshot (read on that worker), and a write to the volume afterwards leaves the object as it
 * was.
 */
async function shipSnapshot(
  ctx: LaneContext<Cluster>,
  cleanup: Cleanup,
  s: {
    attached: string;
    other: string;
    volume: string;
    snapshot: string;
    bucket: string;
    data: string;
    atSnapshot: string;
  },
): Promise<void> {
  const { attached, other, volume, snapshot, bucket, data, atSnapshot } = s;
  const fs = ctx.target.ports.coronafs.at(attached);
  const store = ctx.target.ports.lightningstor;
  const key = `volumes/${volume}@${snapshot}.img`;
  const attachedAddress = ctx.target.node(attached).address;

  await ctx.step(
    `coronafs + lightningstor: CoronaFS on ${attached} ships a snapshot into LightningStor itself; a volume restored from that object on ${other} holds what ${attached} wrote`,
    async () => {
      const shipped = await fs.exportSnapshot(volume, snapshot, { bucket, key });
      await ctx.artifact('coronafs-snapshot-export.json', shipped);
      const versions = await store.listObjectVersions(bucket, key);
      await ctx.artifact('coronafs-snapshot-object-versions.json', versions);
      const only = versions.length === 1 ? versions[0] : undefined;
      ctx.check(
        'LightningStor holds exactly one version of the snapshot object: the one CoronaFS answered',
        only?.versionId === shipped.versionId,
        `CoronaFS answered ${shipped.versionId}; LightningStor lists ${versions.map((v) => v.versionId).join(', ') || 'none'}`,
      );
      ctx.check(
        `LightningStor recorded the snapshot object as written from ${attached} (${attachedAddress}), the CoronaFS node`,
        only?.writer === attachedAddress,
        `writer ${only?.writer ?? '(none recorded)'}`,
      );
      // the lane's own PUTs (proveLightningstor) show the address LightningStor sees for the lane
      const laneAddress = (await store.listObjectVersions(bucket, 'matrix/state.txt'))[0]?.writer;
      ctx.check(
        `the snapshot object was not written from the lane's own address (${laneAddress ?? 'unknown'})`,
        laneAddress !== undefined && only?.writer !== laneAddress,
        `snapshot object writer ${only?.writer ?? '(none)'}; the lane's PUTs are recorded from ${laneAddress ?? '(none recorded)'}`,
      );

      const restored = `${volume}-r`;
      const otherFs = ctx.target.ports.coronafs.at(other);
      const made = await otherFs.createVolumeFromObject(restored, { bucket, key, versionId: shipped.versionId });
      await otherFs.attach(restored, other);
      cleanup.add(`coronafs volume ${restored} attachment`, () => otherFs.detach(restored, other));
      const size = (await fs.volume(volume)).sizeBytes;
      ctx.check(
        `the volume restored on ${other} has the size of the volume it came from (${size} bytes)`,
        made.sizeBytes === size,
        JSON.stringify(made),
      );
      const node = ctx.target.node(other);
      const ep = node.endpoint('coronafs');
      const readOn = (offset: number, length: number) =>
        `curl -sf --max-time 60 'http://${ep.host}:${ep.port}/v1/volumes/${restored}/data?offset=${offset}&length=${length}'`;
      const whole = (await node.succeed(`${readOn(0, size)} | sha256sum`)).split(/\s+/)[0];
      ctx.check(
        `the volume restored on ${other}, read on ${other}, holds the volume exactly as ${attached} had written it when the snapshot was taken`,
        whole === atSnapshot,
        `restored ${whole}; volume at snapshot time ${atSnapshot}`,
      );
      const region = await node.succeed(readOn(4096, data.length));
      ctx.check(
        `the restored volume reads what ${attached} wrote before the snapshot, not its write after it`,
        region === data,
        `read "${region}"`,
      );

      await fs.write(volume, attached, 4096, `coronafs written by ${attached} after the export`);
      const afterWrite = await store.listObjectVersions(bucket, key);
      const reread = await store.getObject(bucket, key, shipped.versionId);
      ctx.check(
        'a write to the volume after the export does not change the snapshot object: still one version, its bytes unchanged',
        afterWrite.length === 1 &&
          afterWrite[0]?.versionId === shipped.versionId &&
          afterWrite[0]?.sha256 === shipped.sha256 &&
          reread !== null &&
          sha256(reread.body) === shipped.sha256,
        `${afterWrite.length} version(s): ${afterWrite.map((v) => `${v.versionId} ${v.sha256}`).join(', ')}; read back ${reread ? sha256(reread.body) : 'nothing'}; shipped ${shipped.sha256}`,
      );
      await ctx.artifact('coronafs-volume.json', await fs.volume(volume));
      await ctx.artifact('coronafs-restored-volume.json', await otherFs.volume(restored));
    },
  );
}
/** The KVM-only PlasmaVMC worker contract: every worker registration advertises exactly HYPERVISOR_TYPE_KVM. */
export async function provePlasmavmcContract(ctx: LaneContext<Cluster>): Promise<void> {
  await ctx.step('plasmavmc: worker registrations advertise exactly HYPERVISOR_TYPE_KVM', async () => {
    const registrations = await ctx.target.ports.plasmavmc.workers();
    await ctx.artifact('plasmavmc-workers.json', registrations);
    const accelerators = [...new Set(registrations.map((r) => r.accelerator ?? 'unknown'))].sort();
    ctx.recordEnvironment({ vm_accelerator_mode: accelerators.join(',') });
    const workers = ctx.target.withRole('worker').map((n) => n.name);
    for (const worker of workers) {
      const hv = registrations.find((r) => r.node === worker)?.hypervisors ?? [];
      ctx.check(
        `${worker} advertises exactly HYPERVISOR_TYPE_KVM`,
        hv.length === 1 && hv[0] === 'HYPERVISOR_TYPE_KVM',
        `hypervisors: ${hv.join(', ') || '(none)'}`,
      );
    }
  });
}
