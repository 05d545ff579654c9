import { z } from 'zod';
import type { NodeHandle } from '../../contracts/node-handle.ts';
import type {
  BootedTarget,
  ClusterInfo,
  FaultControl,
  RestoreControl,
  TargetDriver,
  TargetIdentity,
} from '../../contracts/target.ts';
import { callJson } from '../../helpers/http.ts';
import { waitForMarkers } from '../../helpers/markers.ts';
import type { TargetDescriptor } from '../../profiles/descriptor-schema.ts';
import { labBaremetalTarget } from '../baremetal/lab-baremetal-target.ts';
import { currentLab, setCurrentLab } from '../cluster/current-lab.ts';
import { parseFaultList } from '../cluster/fault-catalogue.ts';
import { labDescriptor } from '../cluster/lab-descriptor.ts';
import type { LabState } from '../cluster/lab-spec.ts';
import { bootLab, labHasSnapshot, takeLabSnapshot, waitForNodesReady } from '../cluster/start-lab.ts';
import { allowLabDestinations, assertLabAddress } from '../net/address-guard.ts';
import { createServicePorts, descriptorBinding } from './bindings/index.ts';
import { LabNodeHandle } from './lab-node-handle.ts';
import { labQuickstartTarget } from './quickstart/lab-quickstart-target.ts';

/** What the lab driver keeps in ClusterInfo.state: plain data a worker rebuilds its handles from. */
export interface LabDriverState {
  controllerUrl: string;
  sshKeyPath: string;
  labId: string;
}

export function labStateOf(info: ClusterInfo): LabDriverState {
  const s = info.state as Partial<LabDriverState>;
  if (!s.controllerUrl || !s.sshKeyPath || !s.labId) {
    throw new Error(`cluster info of ${info.descriptor.name} carries no reference-lab state`);
  }
  return s as LabDriverState;
}

/** The ClusterInfo of a running lab; `descriptor` may add a bindings module to the lab's own. */
export function labClusterInfo(state: LabState, descriptor?: TargetDescriptor | null): ClusterInfo {
  const own = labDescriptor(state);
  const d: TargetDescriptor = descriptor?.bindings ? { ...own, bindings: descriptor.bindings } : own;
  const target: TargetIdentity = {
    name: d.name,
    kind: 'reference-lab',
    flake: d.flake,
    gitRevision: null,
    bindings: d.bindings ?? null,
  };
  const labState: LabDriverState = {
    controllerUrl: state.controllerUrl,
    sshKeyPath: state.sshKeyPath,
    labId: state.labId,
  };
  return { descriptor: d, target, state: { ...labState }, facts: { execution_model: 'reference-lab' } };
}

export function labFaults(controllerUrl: string): FaultControl {
  return {
    set: async (service, fault, node) =>
      void (await callJson('PUT', `${controllerUrl}/faults`, { body: { service, fault, node } })),
    clear: async (service, fault, node) =>
      void (await callJson('DELETE', `${controllerUrl}/faults`, { body: { service, fault, node } })),
    active: () => callJson<string[]>('GET', `${controllerUrl}/faults`),
  };
}

const RestoreAnswer = z.union([
  z.object({ restored: z.literal(false) }),
  z.object({
    restored: z.literal(true),
    totalMs: z.number(),
    stopMs: z.number(),
    resetMs: z.number(),
    bootMs: z.number(),
  }),
]);

/**
 * The lab back to its snapshot (taken by the controller right after the first boot): power cut on every node,
 * state and network put back, every node booted and healthy again.
 */
export function labRestore(controllerUrl: string, timeoutMs = 180_000): RestoreControl {
  return {
    async restore(options) {
      const answer = await callJson<z.infer<typeof RestoreAnswer>>('POST', `${controllerUrl}/restore`, {
        body: { ifUsed: options?.ifUsed ?? false, timeoutMs },
        timeoutMs: timeoutMs + 30_000,
        schema: RestoreAnswer,
      });
      if (!answer.restored) return null;
      return {
        totalMs: answer.totalMs,
        detail: `power cut ${answer.stopMs} ms, state and network put back ${answer.resetMs} ms, boot to healthy ${answer.bootMs} ms`,
      };
    },
    markUsed: async () => void (await callJson('POST', `${controllerUrl}/used`)),
  };
}

/** The lab's nodes as node handles (SSH into each namespace host, power through the controller). */
export function labNodeHandles(info: ClusterInfo): NodeHandle[] {
  const { controllerUrl, sshKeyPath } = labStateOf(info);
  return info.descriptor.nodes.map((n) => new LabNodeHandle(n, controllerUrl, sshKeyPath));
}

/**
 * Boot the six-node reference lab (or reuse the kept one with ULTRACLOUD_KEEP_CLUSTER=1), wait for each node's
 * node.boot and node.ready markers and every service healthy.
 */
async function boot(descriptor: TargetDescriptor | null, progress?: (line: string) => void): Promise<BootedTarget> {
  allowLabDestinations();
  const keep = process.env.ULTRACLOUD_KEEP_CLUSTER === '1';
  const readyTimeoutMs = Number(process.env.ULTRACLOUD_LAB_READY_TIMEOUT_MS ?? 180_000);
  let state: LabState;
  let stop: () => Promise<void> = async () => {};
  const reused = keep ? currentLab() : null;
  if (reused) {
    state = reused;
    // a kept lab gets this run's preset faults through its controller (unknown ones are refused by name)
    for (const f of parseFaultList(process.env.ULTRACLOUD_LAB_FAULTS)) {
      await callJson('PUT', `${state.controllerUrl}/faults`, { body: f });
    }
    await waitForNodesReady(state, readyTimeoutMs);
    // a kept lab keeps the snapshot of its first boot; one from before snapshots existed gets one now
    if (!(await labHasSnapshot(state))) await takeLabSnapshot(state);
  } else {
    const lab = await bootLab({ detach: keep, readyTimeoutMs, ...(progress ? { progress } : {}) });
    state = lab.state;
    if (keep) await setCurrentLab(state);
    else stop = () => lab.stop();
  }
  try {
    for (const n of state.nodes) await assertLabAddress(n.address);
    await Promise.all(
      state.nodes.map((n) =>
        waitForMarkers(n.consolePath, [`node.boot.${n.name}`, `node.ready.${n.name}`], {
          timeoutMs: readyTimeoutMs,
          label: `${n.name} console`,
        }),
      ),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { info: labClusterInfo(state, descriptor), stop };
}

/** The reference lab as a target: network-namespace nodes, its services' HTTP bindings, its fault switches. */
export const driver: TargetDriver = {
  kind: 'reference-lab',
  boot: (descriptor, options) => boot(descriptor, options.progress),
  connect(info) {
    allowLabDestinations();
    const { controllerUrl } = labStateOf(info);
    return {
      nodes: labNodeHandles(info),
      ports: createServicePorts({ ...descriptorBinding(info.descriptor), controllerUrl }),
      faults: labFaults(controllerUrl),
      restore: labRestore(controllerUrl),
    };
  },
  baremetal: () => labBaremetalTarget(),
  quickstart: () => labQuickstartTarget(),
};
