import { type Assignment, type FleetState, recordEvent } from './fleet-state.ts';

export interface PlacementOptions {
  /** draining nodes keep their replicas (fault drain-keeps-replicas) */
  keepOnDraining: boolean;
  /** no rebalancing onto nodes that returned (fault drain-never-restores) */
  skipRebalance: boolean;
  /** a new service's first replicas may land on draining nodes too (fault draining-gets-new-placements) */
  placeOnDraining?: boolean;
  /** draining nodes placed on as if active (fault drain-lapses: their drain has lapsed) */
  lapsedDrains?: ReadonlySet<string>;
}

/**
 * One placement pass: move replicas off nodes that are not active, add missing replicas on the least-loaded
 * active nodes, drop surplus ones, and rebalance so no active node holds two more replicas of a service than
 * another. Mutates `state`; returns whether anything changed.
 */
export function place(state: FleetState, options: PlacementOptions): boolean {
  const before = JSON.stringify(state.assignments);
  const lapsed = (name: string) => state.nodes[name]?.state === 'draining' && options.lapsedDrains?.has(name) === true;
  const active = Object.values(state.nodes)
    .filter((n) => n.state === 'active')
    .map((n) => n.name)
    .concat(Object.keys(state.nodes).filter(lapsed))
    .sort();
  const allowed = (service: string, node: string) => {
    const only = state.services[service]?.nodes;
    return only === undefined || only.includes(node);
  };
  const keeps = (a: Assignment) => {
    const node = state.nodes[a.node];
    if (!allowed(a.service, a.node)) return false;
    return (
      node?.state === 'active' ||
      lapsed(a.node) ||
      (node?.state === 'draining' && (options.keepOnDraining || (a.ontoDraining === true && options.placeOnDraining)))
    );
  };
  const withDraining = Object.values(state.nodes)
    .filter((n) => n.state === 'active' || n.state === 'draining')
    .map((n) => n.name)
    .sort();
  for (const a of Object.values(state.assignments)) {
    if (!state.services[a.service]) {
      delete state.assignments[a.id];
    } else if (!keeps(a)) {
      delete state.assignments[a.id];
      recordEvent(
        state,
        'evicted',
        `${a.id} of ${a.service} moved off ${a.node} (${state.nodes[a.node]?.state ?? 'gone'})`,
      );
    }
  }
  for (const svc of Object.values(state.services)) {
    const mine = () => Object.values(state.assignments).filter((a) => a.service === svc.name);
    const load = (node: string) => mine().filter((a) => a.node === node).length;
    const total = (node: string) => Object.values(state.assignments).filter((a) => a.node === node).length;
    const sortByLoad = (nodes: string[]) =>
      [...nodes].sort((x, y) => load(x) - load(y) || total(x) - total(y) || x.localeCompare(y));
    const eligible = active.filter((n) => allowed(svc.name, n));
    const byLoad = () => sortByLoad(eligible);
    // the fault places a service that has no replica yet as if draining nodes were active
    const candidates = (options.placeOnDraining && mine().length === 0 ? withDraining : active).filter((n) =>
      allowed(svc.name, n),
    );
    while (mine().length < svc.replicas && candidates.length > 0) {
      const node = sortByLoad(candidates)[0] as string;
      const id = `${svc.name}-${state.nextInstance++}`;
      state.assignments[id] = { id, service: svc.name, node, since: new Date().toISOString() };
      if (state.nodes[node]?.state === 'draining') (state.assignments[id] as Assignment).ontoDraining = true;
      recordEvent(state, 'placed', `${id} of ${svc.name} on ${node}`);
    }
    while (mine().length > svc.replicas) {
      const node = byLoad().at(-1);
      const victim = mine().find((a) => a.node === node) ?? mine().at(-1);
      if (!victim) break;
      delete state.assignments[victim.id];
      recordEvent(state, 'removed', `${victim.id} of ${svc.name} from ${victim.node}`);
    }
    if (options.skipRebalance || eligible.length < 2) continue;
    for (;;) {
      const order = byLoad();
      const low = order[0] as string;
      const high = order.at(-1) as string;
      if (load(high) - load(low) <= 1) break;
      const moving = mine().find((a) => a.node === high);
      if (!moving) break;
      delete state.assignments[moving.id];
      const id = `${svc.name}-${state.nextInstance++}`;
      state.assignments[id] = { id, service: svc.name, node: low, since: new Date().toISOString() };
      recordEvent(state, 'restored', `${id} of ${svc.name} on ${low} (rebalanced from ${high})`);
    }
  }
  return JSON.stringify(state.assignments) !== before;
}
