import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NightlightPort } from '../../contracts/ports/nightlight.ts';
import { createNightlightPort } from '../../lab/target/bindings/nightlight.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

const samples = (series: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ series, t: from + i * 1000, v: i }));

describe('nightlight lab service', () => {
  let svc: LabServiceProcess;
  let metrics: NightlightPort;

  beforeAll(async () => {
    svc = await LabServiceProcess.start({ service: 'nightlight' });
    metrics = createNightlightPort(svc.binding());
  });
  afterAll(async () => {
    await svc?.dispose();
  });

  it('recovers acknowledged samples from snapshot plus WAL after SIGKILL, dropping a torn line', async () => {
    await metrics.ingest(samples('cpu', 0, 5));
    expect(await metrics.snapshot()).toMatchObject({ samples: 5 });
    await metrics.ingest(samples('cpu', 5000, 3));
    await metrics.ingest(samples('mem', 0, 2));
    await svc.kill();
    await appendFile(join(svc.stateDir, 'wal.log'), '{"series":"cpu","t":99');
    await svc.launch();
    expect(await metrics.status()).toMatchObject({ recovered: { fromSnapshot: 5, fromWal: 5 } });
    expect((await metrics.query('cpu')).map((s) => s.t)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
    expect(await metrics.query('cpu', { from: 2000, to: 3000 })).toHaveLength(2);
    expect(await metrics.series()).toEqual(['cpu', 'mem']);
  });

  it('fault wal-not-fsynced loses acknowledged samples on power loss', async () => {
    await svc.setFaults({ 'wal-not-fsynced': true });
    expect(await metrics.ingest(samples('disk', 0, 4))).toEqual({ accepted: 4 });
    expect(await metrics.query('disk')).toHaveLength(4);
    await svc.kill();
    await svc.launch();
    expect(await metrics.query('disk')).toHaveLength(0);
    await svc.setFaults({});
  });

  it('fault wal-not-replayed loses the samples after the last snapshot at a restart, keeps the snapshot', async () => {
    await metrics.ingest(samples('net', 0, 3));
    await metrics.snapshot();
    await metrics.ingest(samples('net', 3000, 2));
    await svc.setFaults({ 'wal-not-replayed': true });
    await svc.kill();
    await svc.launch();
    expect((await metrics.query('net')).map((s) => s.t)).toEqual([0, 1000, 2000]);
    expect((await metrics.status()).recovered.fromWal).toBe(0);
    await svc.setFaults({});
  });
});
