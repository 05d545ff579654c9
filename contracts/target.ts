import type { AcceleratorMode } from '../helpers/qemu-args.ts';
import type { ServicePorts } from '../lab/target/bindings/index.ts';
import type { NodeRole, ServiceName, TargetDescriptor } from '../profiles/descriptor-schema.ts';
import type { VmRunnerNode } from '../targets/monorepo/vm-runner-node.ts';
import type { NodeHandle } from './node-handle.ts';

/** Switch a reference-lab service's named faults. The real monorepo has none: BindingRequiredError there. */
export interface FaultControl {
  set(service: ServiceName, fault: string, node?: string): Promise<void>;
  clear(service: ServiceName, fault?: string, node?: string): Promise<void>;
  /** every fault currently on, as "service:fault@node" */
  active(): Promise<string[]>;
}

/** What a cluster lane receives: node handles, typed service ports and (on the lab) fault switches. */
export interface Cluster {
  readonly descriptor: TargetDescriptor;
  readonly nodes: readonly NodeHandle[];
  node(name: string): NodeHandle;
  withRole(role: NodeRole): NodeHandle[];
  readonly ports: ServicePorts;
  readonly faults: FaultControl;
}

/**
 * What the global setup hands to workers through provide/inject: plain data only (the descriptor, the lab
 * controller's loopback URL, the SSH key path). Workers build a Cluster from it with connectCluster().
 */
export interface ClusterInfo {
  descriptor: TargetDescriptor;
  controllerUrl: string | null;
  sshKeyPath: string | null;
  labId: string | null;
  /** nodes launched from NixOS VM runners (helpers/qemu-cluster.ts): what workers rebuild their handles from */
  vmNodes?: VmRunnerNode[];
  /** the accelerator those VMs run under */
  vmAcceleratorMode?: AcceleratorMode;
  /** set when the target could not be booted on this host: what is missing (lanes record status blocked) */
  blocked?: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    ultracloudCluster: ClusterInfo;
  }
}
