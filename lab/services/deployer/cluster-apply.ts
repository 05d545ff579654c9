import {
  type AppliedCluster,
  type ApplyResult,
  type ClusterService,
  ClusterState,
} from '../../../contracts/ports/deployer.ts';
import type { FaultSwitches } from '../common/fault-switches.ts';
import { HttpError, type RouteTable } from '../common/http-service.ts';
import type { JsonStore } from '../common/json-store.ts';
import type { DeployerState } from './deployer-state.ts';
import type { deployerFaults } from './faults.ts';

/** what the last apply made the deployer hold: the names it owns (an apply prunes those it no longer names) */
export interface AppliedRecord {
  name: string;
  classes: string[];
  /** node id → role */
  nodes: Record<string, string>;
  services: Record<string, ClusterService>;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * `deployer-ctl apply` in the reference lab: the generated `ultracloud.cluster` state becomes the applied one.
 *   POST /api/v1/admin/cluster/apply {schema, name, classes, nodes, services}   → {created, changed, removed}
 *   GET  /api/v1/admin/cluster                                                 the applied state, read back
 * Idempotent: a re-apply of the same state changes nothing. Classes and nodes are upserted, services replaced;
 * whatever an earlier apply created and this one no longer names is removed. A field the schema does not name is
 * refused (400, naming it). fleet-scheduler takes its services from GET /api/v1/admin/cluster.
 */
export function registerClusterRoutes(
  app: RouteTable,
  store: JsonStore<DeployerState & { applied?: AppliedRecord }>,
  faults: FaultSwitches<typeof deployerFaults>,
  now: () => string,
): void {
  app.post('/api/v1/admin/cluster/apply', (req) => {
    const parsed = ClusterState.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const keys = issue && 'keys' in issue ? (issue.keys as string[]) : [];
      const path = [...(issue?.path ?? []), ...keys.slice(0, 1)].join('.');
      throw new HttpError(400, `cluster state: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    const state = parsed.data;
    for (const [id, node] of Object.entries(state.nodes)) {
      if (!state.classes[node.class])
        throw new HttpError(400, `cluster state: nodes.${id}.class: no class "${node.class}"`);
    }
    const result: ApplyResult = { created: [], changed: [], removed: [] };
    store.update((s) => {
      const previous = s.applied;
      for (const [name, cls] of Object.entries(state.classes)) {
        const desired = faults.on('apply-drops-desired-system') ? null : cls.desired_system;
        const old = s.classes[name];
        const oldDesired = old?.desired_system
          ? {
              target_system: old.desired_system.target_system,
              health_check_command: old.desired_system.health_check_command,
            }
          : null;
        if (old && sameJson(old.install_plan, cls.install_plan) && sameJson(oldDesired, desired)) continue;
        let published = old?.desired_system ?? null;
        if (desired && !sameJson(oldDesired, desired)) {
          s.publications++;
          published = { ...desired, generation: s.publications, published_at: now() };
        }
        s.classes[name] = {
          name,
          install_plan: { ...cls.install_plan },
          desired_system: desired ? published : null,
          bundle_path: old?.bundle_path ?? null,
        };
        (old ? result.changed : result.created).push(`class/${name}`);
      }
      for (const [id, node] of Object.entries(state.nodes)) {
        const old = s.nodes.find((n) => n.node_id === id);
        if (old && !faults.on('apply-duplicates-nodes') && s.nodes.some((n) => n.node_id === id && n !== old)) {
          // an apply converges on the generated state: one record per node, whatever an earlier apply left
          s.nodes = s.nodes.filter((n) => n.node_id !== id || n === old);
          result.changed.push(`node/${id}`);
        }
        if (old && !faults.on('apply-duplicates-nodes')) {
          const role = previous?.nodes[id];
          if (old.node_class === node.class && old.hostname === node.hostname && role === node.role) continue;
          old.node_class = node.class;
          old.hostname = node.hostname;
          result.changed.push(`node/${id}`);
          continue;
        }
        s.nodes.push({
          node_id: id,
          node_class: node.class,
          hostname: node.hostname,
          registered_at: now(),
          phone_home: null,
          desired_system: null,
          observed: null,
        });
        result.created.push(`node/${id}`);
      }
      for (const [name, svc] of Object.entries(state.services)) {
        const old = previous?.services[name];
        if (old && sameJson(old, svc)) continue;
        (old ? result.changed : result.created).push(`service/${name}`);
      }
      // prune what an earlier apply created and this one no longer names
      for (const id of Object.keys(previous?.nodes ?? {})) {
        if (state.nodes[id]) continue;
        s.nodes = s.nodes.filter((n) => n.node_id !== id);
        result.removed.push(`node/${id}`);
      }
      for (const name of previous?.classes ?? []) {
        if (state.classes[name]) continue;
        delete s.classes[name];
        result.removed.push(`class/${name}`);
      }
      for (const name of Object.keys(previous?.services ?? {})) {
        if (!state.services[name]) result.removed.push(`service/${name}`);
      }
      s.applied = {
        name: state.name,
        classes: Object.keys(state.classes),
        nodes: Object.fromEntries(Object.entries(state.nodes).map(([id, n]) => [id, n.role])),
        services: state.services,
      };
    });
    return result;
  });

  app.get('/api/v1/admin/cluster', (): AppliedCluster => {
    const s = store.get();
    const applied = s.applied;
    if (!applied) return { name: null, classes: [], nodes: [], services: [] };
    return {
      name: applied.name,
      classes: applied.classes.flatMap((name) => {
        const c = s.classes[name];
        if (!c) return [];
        const desired = c.desired_system
          ? {
              target_system: c.desired_system.target_system,
              health_check_command: c.desired_system.health_check_command,
            }
          : null;
        return [{ name, install_plan: c.install_plan, desired_system: desired }];
      }),
      nodes: s.nodes
        .filter((n) => applied.nodes[n.node_id] !== undefined)
        .map((n) => ({
          node_id: n.node_id,
          class: n.node_class,
          role: applied.nodes[n.node_id] as AppliedCluster['nodes'][number]['role'],
          hostname: n.hostname,
        })),
      services: Object.entries(applied.services).map(([name, svc]) => ({ name, ...svc })),
    };
  });
}
