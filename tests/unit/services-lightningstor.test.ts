import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightningstorPort } from '../../contracts/ports/lightningstor.ts';
import { createLightningstorPort } from '../../lab/target/bindings/lightningstor.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

describe('lightningstor lab service', () => {
  let svc: LabServiceProcess;
  let port: LightningstorPort;

  beforeAll(async () => {
    svc = await LabServiceProcess.start({ service: 'lightningstor' });
    port = createLightningstorPort(svc.binding());
  });
  afterAll(async () => {
    await svc?.dispose();
  });

  it('keeps bucket metadata and every object version across a restart', async () => {
    await port.createBucket('images', { tier: 'hot' });
    expect((await port.updateBucketMetadata('images', { tier: 'cold' })).metadata).toEqual({ tier: 'cold' });
    const v1 = await port.putObject('images', 'vm/disk.img', 'first');
    const v2 = await port.putObject('images', 'vm/disk.img', new Uint8Array([1, 2, 3]));
    await svc.restart();
    expect((await port.headBucket('images'))?.metadata).toEqual({ tier: 'cold' });
    expect(await port.headBucket('absent')).toBeNull();
    expect((await port.getObject('images', 'vm/disk.img'))?.body).toEqual(Buffer.from([1, 2, 3]));
    expect((await port.getObject('images', 'vm/disk.img', v1.versionId))?.body.toString()).toBe('first');
    const versions = await port.listObjectVersions('images', 'vm/disk.img');
    expect(versions.map((v) => [v.versionId, v.isLatest])).toEqual([
      [v1.versionId, false],
      [v2.versionId, true],
    ]);
  });

  it('records with each version the address of the client that wrote it, listed and read', async () => {
    const v = await port.putObject('images', 'writer.txt', 'who');
    const marker = await port.deleteObject('images', 'writer.txt');
    const versions = await port.listObjectVersions('images', 'writer.txt');
    expect(versions.map((x) => [x.versionId, x.writer])).toEqual([
      [v.versionId, '127.0.0.1'],
      [marker.versionId, '127.0.0.1'],
    ]);
    expect((await port.getObject('images', 'writer.txt', v.versionId))?.writer).toBe('127.0.0.1');
  });

  it('hides a deleted object behind a delete marker while its versions stay readable', async () => {
    const v1 = await port.putObject('images', 'gone.txt', 'bye');
    const marker = await port.deleteObject('images', 'gone.txt');
    expect(await port.getObject('images', 'gone.txt')).toBeNull();
    expect((await port.getObject('images', 'gone.txt', v1.versionId))?.body.toString()).toBe('bye');
    const versions = await port.listObjectVersions('images', 'gone.txt');
    expect(versions.at(-1)).toMatchObject({ versionId: marker.versionId, deleteMarker: true, isLatest: true });
  });

  it('fault lose-object-version makes an older version disappear', async () => {
    const old = await port.putObject('images', 'f.txt', 'old');
    await port.putObject('images', 'f.txt', 'new');
    await svc.setFaults({ 'lose-object-version': true });
    expect(await port.getObject('images', 'f.txt', old.versionId)).toBeNull();
    expect(await port.listObjectVersions('images', 'f.txt')).toHaveLength(1);
    await svc.setFaults({});
    expect((await port.getObject('images', 'f.txt', old.versionId))?.body.toString()).toBe('old');
  });

  it('fault metadata-not-persisted loses an acknowledged metadata update on restart', async () => {
    await port.createBucket('logs', { owner: 'a' });
    await svc.setFaults({ 'metadata-not-persisted': true });
    expect((await port.updateBucketMetadata('logs', { owner: 'b' })).metadata).toEqual({ owner: 'b' });
    await svc.restart();
    expect((await port.headBucket('logs'))?.metadata).toEqual({ owner: 'a' });
    await svc.setFaults({});
  });

  it('faults deleted-still-listed and deleted-still-served expose a deleted object; off, it is hidden', async () => {
    const kept = await port.putObject('images', 'del.txt', 'kept');
    await port.deleteObject('images', 'del.txt');
    await svc.setFaults({ 'deleted-still-listed': true });
    expect((await port.listObjectVersions('images', 'del.txt')).at(-1)).toMatchObject({
      versionId: kept.versionId,
      isLatest: true,
    });
    expect(await port.getObject('images', 'del.txt')).toBeNull();
    await svc.setFaults({ 'deleted-still-served': true });
    expect((await port.getObject('images', 'del.txt'))?.versionId).toBe(kept.versionId);
    await svc.setFaults({});
    expect(await port.getObject('images', 'del.txt')).toBeNull();
    expect((await port.listObjectVersions('images', 'del.txt')).at(-1)).toMatchObject({ deleteMarker: true });
  });

  it("records the writing client's address with each version and lists it", async () => {
    const put = await port.putObject('images', 'who.txt', 'mine');
    const marker = await port.deleteObject('images', 'who.txt');
    const versions = await port.listObjectVersions('images', 'who.txt');
    expect(versions.map((v) => [v.versionId, v.writer])).toEqual([
      [put.versionId, '127.0.0.1'],
      [marker.versionId, '127.0.0.1'],
    ]);
  });

  it('fault drop-object-write acknowledges a PUT with a version id but stores nothing', async () => {
    await svc.setFaults({ 'drop-object-write': true });
    const dropped = await port.putObject('images', 'dropped.txt', 'lost');
    await svc.setFaults({});
    expect(dropped.versionId).toBeTruthy();
    expect(await port.getObject('images', 'dropped.txt', dropped.versionId)).toBeNull();
    expect(await port.listObjectVersions('images', 'dropped.txt')).toEqual([]);
  });
});
