import type { K8sWatchEvent } from '../../contracts/ports/k8shost.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import type { Cleanup } from './fresh-matrix-cleanup.ts';

const describe = (events: K8sWatchEvent[]) =>
  events.map((e) => `${e.type} ${e.object.name}@${e.resourceVersion}`).join(', ') || '(none)';

/**
 * The published k8shost pod-watch surface: a watch from a resourceVersion delivers ADDED, MODIFIED and DELETED
 * for a pod, in order, and a watch resumed from a delivered event's resourceVersion continues after it.
 */
export async function proveK8shostWatch(ctx: LaneContext<Cluster>, cleanup: Cleanup, tag: string): Promise<void> {
  const k8s = ctx.target.ports.k8shost;
  const ns = `matrix-${tag}`;
  const pod = `watched-${tag}`;

  await ctx.step('k8shost: a pod watch delivers ADDED, MODIFIED, DELETED in order and resumes', async () => {
    const from = (await k8s.listPods(ns)).resourceVersion;
    await k8s.createPod(ns, { name: pod, labels: { app: 'matrix' } });
    cleanup.add(`k8shost pod ${ns}/${pod}`, () => k8s.deletePod(ns, pod).catch(() => undefined));
    await k8s.setPodLabels(ns, pod, { app: 'matrix', stage: 'modified' });
    await k8s.deletePod(ns, pod);

    const mine = (events: K8sWatchEvent[]) => events.filter((e) => e.object.namespace === ns && e.object.name === pod);
    const collect = async (start: number, want: number) => {
      const seen: K8sWatchEvent[] = [];
      let rv = start;
      const deadline = Date.now() + 20_000;
      while (seen.length < want && Date.now() < deadline) {
        const batch = await k8s.watch('pods', rv, 2_000);
        seen.push(...mine(batch.events));
        if (batch.resourceVersion === rv && batch.events.length === 0) break;
        rv = batch.resourceVersion;
      }
      return seen;
    };

    const events = await collect(from, 3);
    await ctx.artifact('k8shost-pod-watch.json', events);
    ctx.check(
      'the watch delivers ADDED, MODIFIED, DELETED for the pod, in order',
      events.map((e) => e.type).join(',') === 'ADDED,MODIFIED,DELETED',
      describe(events),
    );
    const versions = events.map((e) => e.resourceVersion);
    ctx.check(
      'resourceVersions increase along the watch',
      versions.every((v, i) => i === 0 || v > (versions[i - 1] as number)),
      versions.join(' < '),
    );
    ctx.check('the MODIFIED event carries the new labels', events[1]?.object.labels?.stage === 'modified');

    const resumed = await collect(versions[0] ?? from, 2);
    ctx.check(
      'a watch resumed after ADDED delivers exactly MODIFIED, DELETED',
      resumed.map((e) => e.type).join(',') === 'MODIFIED,DELETED',
      describe(resumed),
    );
    const tail = await k8s.watch('pods', versions.at(-1) ?? from, 500);
    ctx.check(
      'a watch resumed after DELETED has nothing more for the pod',
      mine(tail.events).length === 0,
      describe(tail.events),
    );
  });
}
