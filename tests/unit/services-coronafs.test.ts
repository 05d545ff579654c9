import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoronafsPort } from '../../contracts/ports/coronafs.ts';
import type { LightningstorPort } from '../../contracts/ports/lightningstor.ts';
import { HttpCallError } from '../../helpers/http.ts';
import { createCoronafsPort } from '../../lab/target/bindings/coronafs.ts';
import { createLightningstorPort } from '../../lab/target/bindings/lightningstor.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

describe('coronafs lab service', () => {
  let svc: LabServiceProcess;
  let fs: CoronafsPort;

  beforeAll(async () => {
    svc = await LabServiceProcess.start({ service: 'coronafs' });
    fs = createCoronafsPort(svc.binding());
  });
  afterAll(async () => {
    await svc?.dispose();
  });

  it('hands a volume from one node to another with its data, snapshots and export intact across a restart', async () => {
    await fs.createVolume('vm-disk', 4096);
    await fs.attach('vm-disk', 'node04');
    await fs.write('vm-disk', 'node04', 100, 'boot-state-1');
    await expect(fs.write('vm-disk', 'node05', 0, 'x')).rejects.toMatchObject({ status: 409 });
    await expect(fs.attach('vm-disk', 'node05')).rejects.toBeInstanceOf(HttpCallError);
    await fs.snapshot('vm-disk', 'before-migration');
    await fs.detach('vm-disk', 'node04');
    await fs.attach('vm-disk', 'node05');
    await fs.write('vm-disk', 'node05', 100, 'boot-state-2');
    await svc.restart();
    expect(await fs.volume('vm-disk')).toMatchObject({ attachedTo: 'node05', snapshots: ['before-migration'] });
    expect((await fs.read('vm-disk', 100, 12)).toString()).toBe('boot-state-2');
    expect((await fs.read('vm-disk', 100, 12, 'before-migration')).toString()).toBe('boot-state-1');
    const exported = await fs.export('vm-disk');
    expect(exported.image).toHaveLength(4096);
    expect(exported.sha256).toBe(createHash('sha256').update(exported.image).digest('hex'));
  });

  it('fault lose-writes-on-restart loses an acknowledged write at restart', async () => {
    await fs.createVolume('scratch', 1024);
    await fs.attach('scratch', 'node04');
    await fs.write('scratch', 'node04', 0, 'kept');
    await svc.setFaults({ 'lose-writes-on-restart': true });
    await fs.write('scratch', 'node04', 0, 'lost');
    expect((await fs.read('scratch', 0, 4)).toString()).toBe('lost');
    await svc.restart();
    expect((await fs.read('scratch', 0, 4)).toString()).toBe('kept');
    await svc.setFaults({});
  });
});

describe('coronafs ships snapshots to a real lightningstor process and restores volumes from its objects', () => {
  let store: LabServiceProcess;
  let svc: LabServiceProcess;
  let fs: CoronafsPort;
  let objects: LightningstorPort;

  beforeAll(async () => {
    store = await LabServiceProcess.start({ service: 'lightningstor', node: 'node06' });
    const cluster = {
      nodes: [{ name: 'node06', role: 'gateway', address: store.host, services: { lightningstor: store.endpoint } }],
    };
    svc = await LabServiceProcess.start({ service: 'coronafs', env: { UCP_CLUSTER: JSON.stringify(cluster) } });
    fs = createCoronafsPort(svc.binding());
    objects = createLightningstorPort(store.binding());
    await objects.createBucket('snapshots');
  });
  afterAll(async () => {
    await svc?.dispose();
    await store?.dispose();
  });

  it('PUTs the snapshot itself (not the live volume) and restores a volume holding the object', async () => {
    await fs.createVolume('shipped', 8192);
    await fs.attach('shipped', 'node04');
    await fs.write('shipped', 'node04', 4096, 'at-snapshot');
    await fs.snapshot('shipped', 's1');
    await fs.write('shipped', 'node04', 4096, 'after-snap!');
    const shipped = await fs.exportSnapshot('shipped', 's1', { bucket: 'snapshots', key: 'shipped/s1.img' });
    expect(shipped).toMatchObject({ bucket: 'snapshots', key: 'shipped/s1.img', size: 8192, store: 'node06' });
    const [version] = await objects.listObjectVersions('snapshots', 'shipped/s1.img');
    expect(version).toMatchObject({ versionId: shipped.versionId, sha256: shipped.sha256, writer: '127.0.0.1' });
    const object = await objects.getObject('snapshots', 'shipped/s1.img', shipped.versionId);
    expect(object?.body.subarray(4096, 4107).toString()).toBe('at-snapshot');

    const restored = await fs.createVolumeFromObject('restored', { bucket: 'snapshots', key: 'shipped/s1.img' });
    expect(restored.sizeBytes).toBe(8192);
    expect((await fs.read('restored', 4096, 11)).toString()).toBe('at-snapshot');
    await expect(
      fs.createVolumeFromObject('absent', { bucket: 'snapshots', key: 'no/such.img' }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('fault export-live-volume ships the volume as it is now; export-follows-volume adds a version on a write', async () => {
    await svc.setFaults({ 'export-live-volume': true });
    const live = await fs.exportSnapshot('shipped', 's1', { bucket: 'snapshots', key: 'shipped/live.img' });
    const body = await objects.getObject('snapshots', 'shipped/live.img', live.versionId);
    expect(body?.body.subarray(4096, 4107).toString()).toBe('after-snap!');
    await svc.setFaults({ 'export-follows-volume': true });
    await fs.exportSnapshot('shipped', 's1', { bucket: 'snapshots', key: 'shipped/follow.img' });
    await fs.write('shipped', 'node04', 0, 'later');
    expect(await objects.listObjectVersions('snapshots', 'shipped/follow.img')).toHaveLength(2);
    await svc.setFaults({});
  });
});
