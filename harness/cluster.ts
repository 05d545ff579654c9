import { inject } from 'vitest';
import { BindingRequiredError, BlockedError, HarnessError } from '../contracts/errors.ts';
import type { NodeHandle } from '../contracts/node-handle.ts';
import type { Cluster, ClusterInfo, FaultControl } from '../contracts/target.ts';
import { callJson } from '../helpers/http.ts';
import { labDescriptor } from '../lab/cluster/lab-descriptor.ts';
import type { LabState } from '../lab/cluster/lab-spec.ts';
import { type BootLabOptions, bootLab } from '../lab/cluster/start-lab.ts';
import type { NodeReport } from '../lab/controller-api.ts';
import { assertLabAddress } from '../lab/net/address-guard.ts';
import type { PortBinding } from '../lab/target/bindings/binding.ts';
import { createServicePorts } from '../lab/target/bindings/index.ts';
import { LabNodeHandle } from '../lab/target/lab-node-handle.ts';
import type { ServiceName, TargetDescriptor } from '../profiles/descriptor-schema.ts';
import { VmRunnerNodeHandle } from '../targets/monorepo/vm-runner-node.ts';

/** The port binding of a descriptor: each service's instances, in topology order. */
export function descriptorBinding(d: TargetDescriptor): PortBinding {
  return {
    kind: d.binding,
    targetName: d.name,
    instances: (service: ServiceName) =>
      d.nodes.flatMap((n) => (n.services[service] ? [{ node: n.name, endpoint: n.services[service] }] : [])),
    on: (node: string, service: ServiceName) => {
      const n = d.nodes.find((x) => x.name === node);
      if (!n) throw new HarnessError(`target ${d.name} has no node "${node}"`);
      const e = n.services[service];
      if (!e) throw new HarnessError(`node ${node} of ${d.name} runs no ${service}`);
      return e;
    },
  };
}

function labFaults(controllerUrl: string): FaultControl {
  return {
    set: async (service, fault, node) =>
      void (await callJson('PUT', `${controllerUrl}/faults`, { body: { service, fault, node } })),
    clear: async (service, fault, node) =>
      void (await callJson('DELETE', `${controllerUrl}/faults`, { body: { service, fault, node } })),
    active: () => callJson<string[]>('GET', `${controllerUrl}/faults`),
  };
}

function noFaults(target: string): FaultControl {
  const refuse = () => Promise.reject(new BindingRequiredError('lab', 'faults', target));
  return { set: refuse, clear: refuse, active: refuse };
}

/**
 * Build a Cluster from what the global setup provided: reference-lab nodes become LabNodeHandles (SSH + the lab
 * controller); VM-runner nodes become VmRunnerNodeHandles from `info.vmNodes` (or the given `nodeHandles`).
 */
export function connectCluster(info: ClusterInfo, nodeHandles?: NodeHandle[]): Cluster {
  const d = info.descriptor;
  let nodes: NodeHandle[];
  if (nodeHandles) nodes = nodeHandles;
  else if (d.kind === 'reference-lab' && info.controllerUrl && info.sshKeyPath) {
    const { controllerUrl, sshKeyPath } = info;
    nodes = d.nodes.map((n) => new LabNodeHandle(n, controllerUrl, sshKeyPath));
  } else if (info.vmNodes) {
    nodes = info.vmNodes.map((n) => new VmRunnerNodeHandle(n));
  } else {
    throw new HarnessError(`cannot connect to ${d.name}: no lab controller and no VM node handles were given`);
  }
  return {
    descriptor: d,
    nodes,
    node: (name) => {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new HarnessError(`${d.name} has no node "${name}" (nodes: ${nodes.map((x) => x.name).join(', ')})`);
      return n;
    },
    withRole: (role) => nodes.filter((n) => n.role === role),
    ports: createServicePorts(descriptorBinding(d)),
    faults: info.controllerUrl ? labFaults(info.controllerUrl) : noFaults(d.name),
  };
}

export function labClusterInfo(state: LabState, descriptor?: TargetDescriptor): ClusterInfo {
  return {
    descriptor: descriptor ?? labDescriptor(state),
    controllerUrl: state.controllerUrl,
    sshKeyPath: state.sshKeyPath,
    labId: state.labId,
  };
}

let shared: Cluster | undefined;

/** The suite's cluster, booted once by harness/cluster-setup.ts (projects publishable, companion, portable, lab). */
export function useCluster(): Cluster {
  const info = inject('ultracloudCluster');
  if (info.blocked) throw new BlockedError(info.blocked);
  shared ??= connectCluster(info);
  return shared;
}

/** A lab of one's own (e.g. a negative test with faults on from boot): `await using lab = await startLab({...})`. */
export interface StartedLab extends AsyncDisposable {
  readonly cluster: Cluster;
  readonly info: ClusterInfo;
  readonly state: LabState;
  dispose(): Promise<void>;
}

export async function startLab(options: BootLabOptions = {}): Promise<StartedLab> {
  const lab = await bootLab(options);
  try {
    for (const n of lab.state.nodes) await assertLabAddress(n.address);
  } catch (err) {
    await lab.stop();
    throw err;
  }
  const info = labClusterInfo(lab.state);
  const started: StartedLab = {
    cluster: connectCluster(info),
    info,
    state: lab.state,
    dispose: () => lab.stop(),
    [Symbol.asyncDispose]: () => lab.stop(),
  };
  return started;
}

/** What the global setup provided (descriptor, controller URL, SSH key path, lab id). */
export function useClusterInfo(): ClusterInfo {
  return inject('ultracloudCluster');
}

/** A lab node as the controller reports it (GET /nodes). */
export type LabNodeStatus = NodeReport;

/** The lab controller's node and service control, beyond what a NodeHandle offers (reference lab only). */
export function labControl(info: ClusterInfo) {
  const url = info.controllerUrl;
  if (!url) throw new BindingRequiredError('lab', 'controller', info.descriptor.name);
  return {
    nodes: () => callJson<LabNodeStatus[]>('GET', `${url}/nodes`),
    node: async (name: string) => {
      const n = (await callJson<LabNodeStatus[]>('GET', `${url}/nodes`)).find((x) => x.name === name);
      if (!n) throw new HarnessError(`the lab has no node "${name}"`);
      return n;
    },
    restartService: (node: string, service: string) =>
      callJson('POST', `${url}/nodes/${node}/services/${service}/restart`, { timeoutMs: 60_000 }),
  };
}
