import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoronafsPort } from '../../contracts/ports/coronafs.ts';
import { HttpCallError } from '../../helpers/http.ts';
import { createCoronafsPort } from '../../lab/target/bindings/coronafs.ts';
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
