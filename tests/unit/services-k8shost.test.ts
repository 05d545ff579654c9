import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { K8shostPort, K8sWatchEvent } from '../../contracts/ports/k8shost.ts';
import { createK8shostPort } from '../../lab/target/bindings/k8shost.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

describe('k8shost lab service', () => {
  let svc: LabServiceProcess;
  let k8s: K8shostPort;

  beforeAll(async () => {
    svc = await LabServiceProcess.start({ service: 'k8shost' });
    k8s = createK8shostPort(svc.binding());
  });
  afterAll(async () => {
    await svc?.dispose();
  });

  /** every pod event after rv, collected until `count` arrived */
  async function collect(rv: number, count: number): Promise<K8sWatchEvent[]> {
    const out: K8sWatchEvent[] = [];
    let at = rv;
    while (out.length < count) {
      const batch = await k8s.watch('pods', at, 2_000);
      if (batch.events.length === 0) break;
      out.push(...batch.events);
      at = batch.resourceVersion;
    }
    return out;
  }

  it('a watch started before changes sees ADDED, MODIFIED, DELETED in order, and resumes after a restart', async () => {
    const start = (await k8s.listPods('team-a')).resourceVersion;
    const pending = k8s.watch('pods', start, 5_000);
    await k8s.createPod('team-a', { name: 'web-1', labels: { app: 'web' } });
    expect((await pending).events.map((e) => [e.type, e.object.name])).toEqual([['ADDED', 'web-1']]);
    await k8s.setPodLabels('team-a', 'web-1', { app: 'web', tier: 'front' });
    await k8s.deletePod('team-a', 'web-1');
    await svc.restart();
    const events = await collect(start, 3);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    const rvs = events.map((e) => e.resourceVersion);
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
  });

  it('service endpoints follow pod labels; fault service-endpoints-stale freezes them', async () => {
    await k8s.createPod('team-b', { name: 'api-1', labels: { app: 'api' } });
    await k8s.createService('team-b', { name: 'api', selector: { app: 'api' }, port: 8080 });
    await k8s.createPod('team-b', { name: 'api-2', labels: { app: 'api' } });
    expect(await k8s.endpoints('team-b', 'api')).toEqual(['api-1', 'api-2']);
    await k8s.setPodLabels('team-b', 'api-1', { app: 'other' });
    expect(await k8s.endpoints('team-b', 'api')).toEqual(['api-2']);
    await svc.setFaults({ 'service-endpoints-stale': true });
    await k8s.deletePod('team-b', 'api-2');
    expect(await k8s.endpoints('team-b', 'api')).toEqual(['api-2']);
    await svc.setFaults({});
    await k8s.createPod('team-b', { name: 'api-3', labels: { app: 'api' } });
    expect(await k8s.endpoints('team-b', 'api')).toEqual(['api-3']);
  });

  it('fault watch-drops-events leaves pod events undelivered', async () => {
    const start = (await k8s.listPods('team-c')).resourceVersion;
    await svc.setFaults({ 'watch-drops-events': true });
    for (const name of ['a', 'b', 'c', 'd']) await k8s.createPod('team-c', { name });
    const seen = await collect(start, 4);
    expect(seen.length).toBeLessThan(4);
    await svc.setFaults({});
    expect((await collect(start, 4)).map((e) => e.object.name)).toEqual(['a', 'b', 'c', 'd']);
  });
});
