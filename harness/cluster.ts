import { inject } from 'vitest';
import { BindingRequiredError, BlockedError, HarnessError } from '../contracts/errors.ts';
import type { NodeHandle } from '../contracts/node-handle.ts';
import type { OperationName, ServicePorts } from '../contracts/ports/index.ts';
import type { Cluster, ClusterInfo, FaultControl } from '../contracts/target.ts';
import { targetDriver } from '../targets/registry.ts';
import { assemblePorts, loadBindingsModule } from './ports.ts';

function noFaults(target: string): FaultControl {
  const refuse = () => Promise.reject(new BindingRequiredError('faults.set', target));
  return {
    set: refuse,
    clear: refuse,
    active: () => Promise.reject(new BindingRequiredError('faults.active', target)),
  };
}

/** Every `service.operation` a worker's lanes called, in call order of first use (for a lane's declared bindings). */
const calls = new Set<OperationName>();
export function takeRecordedCalls(): OperationName[] {
  const out = [...calls];
  calls.clear();
  return out;
}

/**
 * Build a Cluster from what the global setup provided: the target's driver gives node handles, its own port
 * bindings and fault switches; a bindings module the descriptor names adds to (and overrides) those ports; every
 * operation still unbound rejects with BindingRequiredError.
 */
export async function connectCluster(info: ClusterInfo, options: { nodes?: NodeHandle[] } = {}): Promise<Cluster> {
  const d = info.descriptor;
  const driver = await targetDriver(d);
  const connected = await driver.connect(info);
  const nodes = options.nodes ?? connected.nodes;
  const layers: Array<Partial<ServicePorts>> = [connected.ports];
  if (d.bindings) layers.push(await loadBindingsModule(d.bindings, { descriptor: d, state: info.state, nodes }));
  const assembled = assemblePorts(d.name, layers, (op) => calls.add(op));
  return {
    descriptor: d,
    target: info.target,
    nodes,
    node: (name) => {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new HarnessError(`${d.name} has no node "${name}" (nodes: ${nodes.map((x) => x.name).join(', ')})`);
      return n;
    },
    withRole: (role) => nodes.filter((n) => n.role === role),
    ports: assembled.ports,
    faults: connected.faults ?? noFaults(d.name),
    unbound: assembled.unbound,
    facts: info.facts,
    restore: connected.restore ?? null,
  };
}

let shared: Promise<Cluster> | undefined;

/** The suite's cluster, booted once by harness/cluster-setup.ts (projects publishable, companion, portable, lab). */
export function useCluster(): Promise<Cluster> {
  const info = inject('ultracloudCluster');
  if (info.blocked) return Promise.reject(new BlockedError(info.blocked));
  shared ??= connectCluster(info);
  return shared;
}

/** What the global setup provided (descriptor, target identity, the driver's state). */
export function useClusterInfo(): ClusterInfo {
  return inject('ultracloudCluster');
}
