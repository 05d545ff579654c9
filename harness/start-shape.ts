import { BlockedError, HarnessError } from '../contracts/errors.ts';
import type { Cluster, RestoreOutcome } from '../contracts/target.ts';
import type { ServiceName } from '../profiles/descriptor-schema.ts';
import type { StartShape, StartShapeCheck } from '../profiles/result-schema.ts';

/**
 * The canonical shape a cluster lane starts from: what the suite booted, before any lane changed it. Each check
 * reads the target through its ports, so a target that does not bind an operation leaves that check unchecked
 * (named, never passed). A lane that finds the cluster out of shape says so at its "start shape" step instead of
 * failing somewhere downstream.
 */
interface ShapeProbe {
  name: string;
  /** the ports it calls */
  operations: string[];
  /** what is out of shape ([] when canonical) */
  probe(cluster: Cluster): Promise<string[]>;
}

const nodesRunning = (cluster: Cluster, service: ServiceName) =>
  cluster.descriptor.nodes.filter((n) => n.services[service]).map((n) => n.name);

/** What `left` finds on each node running `service`, each entry "<what> on <node>". */
async function leftOnEvery(
  cluster: Cluster,
  service: ServiceName,
  left: (node: string) => Promise<string[]>,
): Promise<string[]> {
  const out: string[] = [];
  for (const node of nodesRunning(cluster, service)) out.push(...(await left(node)).map((x) => `${x} on ${node}`));
  return out;
}

const probes: ShapeProbe[] = [
  {
    name: 'chainfire: the control-plane nodes are its voting members, and nothing else is a member',
    operations: ['chainfire.members'],
    async probe(cluster) {
      const expected = cluster.descriptor.nodes
        .filter((n) => n.role === 'control-plane' && n.services.chainfire)
        .map((n) => n.name)
        .sort();
      const node = expected[0];
      if (!node) return [];
      const members = await cluster.ports.chainfire.at(node).members();
      const out: string[] = [];
      // a member added but not started yet has no name: its id stands for it
      const label = (m: { name: string; id: string }) => m.name || `member ${m.id} (not started)`;
      const voters = members.filter((m) => !m.isLearner).map(label);
      const learners = members.filter((m) => m.isLearner).map(label);
      const missing = expected.filter((n) => !voters.includes(n));
      const extra = voters.filter((n) => !expected.includes(n));
      if (missing.length) out.push(`voters missing: ${missing.join(', ')}`);
      if (extra.length) out.push(`voters beyond the control plane: ${extra.join(', ')}`);
      if (learners.length) out.push(`learners: ${learners.join(', ')}`);
      return out;
    },
  },
  {
    name: 'fleet-scheduler: every node is active, none draining, lost or in maintenance',
    operations: ['fleet-scheduler.nodes'],
    async probe(cluster) {
      const [node] = nodesRunning(cluster, 'fleet-scheduler');
      if (!node) return [];
      const nodes = await cluster.ports.fleetScheduler.at(node).nodes();
      return nodes
        .filter((n) => n.state !== 'active' || n.maintenance)
        .map((n) => `${n.name} is ${n.state}${n.maintenance ? ' (maintenance)' : ''}`);
    },
  },
  {
    name: 'fleet-scheduler: no service is scheduled',
    operations: ['fleet-scheduler.services'],
    async probe(cluster) {
      const [node] = nodesRunning(cluster, 'fleet-scheduler');
      if (!node) return [];
      return (await cluster.ports.fleetScheduler.at(node).services()).map((s) => `service ${s.name}`);
    },
  },
  {
    name: 'plasmavmc: no VM on any worker',
    operations: ['plasmavmc.listVms'],
    probe: (cluster) =>
      leftOnEvery(cluster, 'plasmavmc', async (node) =>
        (await cluster.ports.plasmavmc.at(node).listVms()).map((vm) => `VM ${vm.id}`),
      ),
  },
  {
    name: 'prismnet: no tenant network or port on any worker',
    operations: ['prismnet.networks', 'prismnet.ports'],
    probe: (cluster) =>
      leftOnEvery(cluster, 'prismnet', async (node) => {
        const p = cluster.ports.prismnet.at(node);
        return [
          ...(await p.networks()).map((n) => `network ${n.name}`),
          ...(await p.ports()).map((port) => `port ${port.name}`),
        ];
      }),
  },
  {
    name: 'coronafs: no volume',
    operations: ['coronafs.listVolumes'],
    probe: (cluster) =>
      leftOnEvery(cluster, 'coronafs', async (node) =>
        (await cluster.ports.coronafs.at(node).listVolumes()).map((v) => `volume ${v.name}`),
      ),
  },
  {
    name: 'lightningstor: no bucket',
    operations: ['lightningstor.listBuckets'],
    probe: (cluster) =>
      leftOnEvery(cluster, 'lightningstor', async (node) =>
        (await cluster.ports.lightningstor.at(node).listBuckets()).map((b) => `bucket ${b.name}`),
      ),
  },
  {
    name: 'fiberlb: no listener',
    operations: ['fiberlb.listeners'],
    probe: (cluster) =>
      leftOnEvery(cluster, 'fiberlb', async (node) =>
        (await cluster.ports.fiberlb.at(node).listeners()).map((l) => `listener ${l.name}`),
      ),
  },
];

/** Every check of the canonical shape against the cluster as it is now. */
export async function shapeChecks(cluster: Cluster): Promise<StartShapeCheck[]> {
  const out: StartShapeCheck[] = [];
  for (const p of probes) {
    const unbound = cluster.unbound(p.operations);
    if (unbound.length) {
      out.push({ name: p.name, ok: null, detail: `not checked: the target binds no ${unbound.join(', ')}` });
      continue;
    }
    try {
      const off = await p.probe(cluster);
      out.push({ name: p.name, ok: off.length === 0, detail: off.length ? off.join('; ') : 'as booted' });
    } catch (err) {
      if (err instanceof BlockedError) {
        out.push({ name: p.name, ok: null, detail: `not checked: ${err.message}` });
        continue;
      }
      out.push({ name: p.name, ok: false, detail: `could not be read: ${(err as Error).message}` });
    }
  }
  return out;
}

export type RestorePolicy = 'lane' | 'dirty' | 'never';

/** ULTRACLOUD_RESTORE: when a lane gets the cluster restored to its booted state (checked by env-schema.ts). */
export function restorePolicy(env: NodeJS.ProcessEnv = process.env): RestorePolicy {
  const v = env.ULTRACLOUD_RESTORE ?? 'lane';
  if (v === 'lane' || v === 'dirty' || v === 'never') return v;
  throw new HarnessError(`ULTRACLOUD_RESTORE must be lane, dirty or never, got "${v}"`);
}

/**
 * What a cluster lane does before its first step: with policy `lane`, a target that can restore is put back to
 * its booted state when a lane used it since (a fresh cluster per lane, the seed's `fresh-*` semantics); then the
 * canonical shape is checked, and a cluster out of shape is restored once (policies `lane` and `dirty`) and
 * checked again. The record goes to result.json `startShape`; `canonical: false` fails the lane at its start.
 */
export async function prepareStartShape(
  cluster: Cluster,
  policy: RestorePolicy = restorePolicy(),
  log: (line: string) => void = () => {},
): Promise<StartShape> {
  const started = performance.now();
  const restores: RestoreOutcome[] = [];
  const restore = cluster.restore;
  if (restore && policy === 'lane') {
    const outcome = await restore.restore({ ifUsed: true });
    if (outcome) {
      restores.push(outcome);
      log(`cluster restored to its booted state in ${outcome.totalMs} ms (${outcome.detail})`);
    }
  }
  let checks = await shapeChecks(cluster);
  const before = checks.some((c) => c.ok === false) ? checks : null;
  if (before && restore && policy !== 'never') {
    log(`cluster out of its canonical shape (${outOfShape(before)}): restoring it`);
    const outcome = await restore.restore({ ifUsed: false });
    if (outcome) restores.push(outcome);
    checks = await shapeChecks(cluster);
  }
  await restore?.markUsed();
  return {
    canonical: !checks.some((c) => c.ok === false),
    policy,
    restoreOffered: !!restore,
    restores: restores.map((r) => ({ totalMs: r.totalMs, detail: r.detail })),
    dirtyBeforeRestore: before ? before.filter((c) => c.ok === false) : [],
    checks,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * What runLane's `startShape` is for a cluster lane run the way the suite runs it: the shape prepared under
 * ULTRACLOUD_RESTORE, the port calls it made dropped from the lane's recorded bindings by `forget`.
 */
export function clusterStartShape(
  cluster: Cluster,
  forget: () => void = () => {},
  policy?: RestorePolicy,
): (log: (line: string) => void) => Promise<StartShape> {
  return async (log) => {
    try {
      return await prepareStartShape(cluster, policy ?? restorePolicy(), log);
    } finally {
      forget();
    }
  };
}

/** "check: what is off; ..." for a shape's failed checks. */
export function outOfShape(checks: readonly StartShapeCheck[]): string {
  return checks
    .filter((c) => c.ok === false)
    .map((c) => `${c.name}: ${c.detail}`)
    .join('; ');
}
