import type { NodeRole, ServiceName, TargetDescriptor } from '../profiles/descriptor-schema.ts';
import type { TargetIdentity } from '../profiles/result-schema.ts';
import type { BaremetalBindings, BaremetalTarget } from './baremetal-target.ts';
import type { NodeHandle } from './node-handle.ts';
import type { OperationName, ServicePorts } from './ports/index.ts';
import type { QuickstartTarget } from './quickstart-target.ts';

/** Switch a target's named faults (the reference lab's services have them). Unbound elsewhere: blocked. */
export interface FaultControl {
  set(service: ServiceName, fault: string, node?: string): Promise<void>;
  clear(service: ServiceName, fault?: string, node?: string): Promise<void>;
  /** every fault currently on, as "service:fault@node" */
  active(): Promise<string[]>;
}

/**
 * Bring a booted target back to the state it had when the suite booted it (the reference lab: every node's state
 * and network from the snapshot taken after the first boot), so a lane starts fresh without a reboot. Targets
 * that cannot do this offer none: their lanes start from whatever state the cluster is in, checked by the start
 * shape (harness/start-shape.ts).
 */
export interface RestoreControl {
  /**
   * every node back to the booted state; resolves once every node is ready with every service healthy. With
   * `ifUsed`, only when a lane used the target since its boot or last restore: null when nothing needed restoring.
   */
  restore(options?: { ifUsed?: boolean }): Promise<RestoreOutcome | null>;
  /** a lane is about to use the target: the next `restore({ ifUsed: true })` restores */
  markUsed(): Promise<void>;
}

export interface RestoreOutcome {
  /** from the request until every node was ready and healthy again */
  totalMs: number;
  /** how the time went, for the record (e.g. "stop 120 ms, reset 310 ms, boot 3900 ms") */
  detail: string;
}

/** Which target really ran: what result.json, environment.txt and JUnit name. */
export type { TargetIdentity };

/** What a cluster lane receives: node handles, typed service ports and fault switches. */
export interface Cluster {
  readonly descriptor: TargetDescriptor;
  readonly target: TargetIdentity;
  readonly nodes: readonly NodeHandle[];
  node(name: string): NodeHandle;
  withRole(role: NodeRole): NodeHandle[];
  readonly ports: ServicePorts;
  readonly faults: FaultControl;
  /** of the named `service.operation`s, those this target does not bind */
  unbound(operations: readonly string[]): OperationName[];
  /** what the target's driver recorded about the run (vm_accelerator_mode, execution_model, ...) */
  readonly facts: Readonly<Record<string, string>>;
  /** back to the booted state, when the target can (the reference lab); null when it cannot */
  readonly restore: RestoreControl | null;
}

/**
 * What the global setup hands to workers through provide/inject: plain data only. `state` is the driver's own
 * (a lab's controller URL and SSH key path, a VM cluster's runner records); workers give it back to the same driver.
 */
export interface ClusterInfo {
  descriptor: TargetDescriptor;
  target: TargetIdentity;
  state: Record<string, unknown>;
  /** facts for environment.txt (vm_accelerator_mode, execution_model, ...) */
  facts: Record<string, string>;
  /** set when the target could not be booted on this host: what is missing (lanes record status blocked) */
  blocked?: string[];
}

/** A booted target, as the global setup holds it. */
export interface BootedTarget {
  info: ClusterInfo;
  stop(): Promise<void>;
}

/** What a driver gives a worker for a booted target: the bindings module adds to `ports`, never replaces nodes. */
export interface ConnectedTarget {
  nodes: NodeHandle[];
  ports: Partial<ServicePorts>;
  faults?: FaultControl;
  restore?: RestoreControl;
}

/**
 * A kind of target: one folder (targets/<kind>/ or the lab's lab/target/) found through targets/registry.ts, or
 * a module a descriptor names in `driver`. boot runs in the global setup, connect in every worker.
 */
export interface TargetDriver {
  readonly kind: string;
  /** progress: lines for the person waiting (nodes booted, each node ready), printed by the global setup */
  boot(
    descriptor: TargetDescriptor | null,
    options: { workRoot: string; progress?: (line: string) => void },
  ): Promise<BootedTarget>;
  connect(info: ClusterInfo): Promise<ConnectedTarget> | ConnectedTarget;
  /** what the bare-metal lanes boot on this target (with what its bindings module binds for them) */
  baremetal?(
    descriptor: TargetDescriptor | null,
    bindings?: BaremetalBindings,
  ): Promise<BaremetalTarget> | BaremetalTarget;
  /** what the quickstart lanes boot on this target: its single-node VM runner */
  quickstart?(descriptor: TargetDescriptor | null): Promise<QuickstartTarget> | QuickstartTarget;
}

/**
 * What a bindings module's default export is: given the booted target, the ports it binds (any subset of services,
 * any subset of a service's operations; the rest stay unbound and block the lanes that need them).
 */
export type BindingsFactory = (context: BindingsContext) => Promise<Partial<ServicePorts>> | Partial<ServicePorts>;

export interface BindingsContext {
  descriptor: TargetDescriptor;
  /** the driver's plain state (e.g. the lab controller URL) */
  state: Record<string, unknown>;
  nodes: readonly NodeHandle[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    ultracloudCluster: ClusterInfo;
  }
}
