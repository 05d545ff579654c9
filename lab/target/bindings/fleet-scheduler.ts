import { callJson } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export type FleetNodeState = 'active' | 'draining' | 'lost';

export interface FleetNode {
  name: string;
  state: FleetNodeState;
  maintenance: boolean;
  lastHeartbeatAt: string | null;
  /** replicas assigned to the node */
  instances: number;
}

export interface Placement {
  id: string;
  service: string;
  node: string;
  since: string;
  /** the node's agent reports the instance running */
  running: boolean;
}

export interface FleetService {
  name: string;
  replicas: number;
  command: string[] | null;
}

/** fleet-scheduler: replica placement on workers, maintenance drain/activate, fail-stop loss and restoration. */
export interface FleetSchedulerPort {
  at(node: string): FleetSchedulerPort;
  putService(name: string, spec: { replicas: number; command?: string[] }): Promise<FleetService>;
  deleteService(name: string): Promise<void>;
  services(): Promise<FleetService[]>;
  nodes(): Promise<FleetNode[]>;
  placements(): Promise<{ instances: Placement[]; pending: Record<string, number> }>;
  /** start maintenance: the node goes draining and its replicas move off */
  drain(node: string): Promise<FleetNode>;
  /** end maintenance: the node is active again and gets replicas back */
  activate(node: string): Promise<FleetNode>;
  events(): Promise<Array<{ at: string; kind: string; detail: string }>>;
}

export function createFleetSchedulerPort(binding: PortBinding, node?: string): FleetSchedulerPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (path: string) => `${instanceUrl(binding, 'fleet-scheduler', node)}/api/v1${path}`;
  const enc = encodeURIComponent;
  return {
    at: (n) => createFleetSchedulerPort(binding, n),
    putService: (name, spec) => callJson('PUT', url(`/services/${enc(name)}`), { body: spec }),
    async deleteService(name) {
      await callJson('DELETE', url(`/services/${enc(name)}`));
    },
    services: async () => (await callJson<{ services: FleetService[] }>('GET', url('/services'))).services,
    nodes: async () => (await callJson<{ nodes: FleetNode[] }>('GET', url('/nodes'))).nodes,
    placements: () => callJson('GET', url('/placements')),
    drain: (n) => callJson('POST', url(`/nodes/${enc(n)}/drain`)),
    activate: (n) => callJson('POST', url(`/nodes/${enc(n)}/activate`)),
    events: async () =>
      (await callJson<{ events: Array<{ at: string; kind: string; detail: string }> }>('GET', url('/events'))).events,
  };
}

function unbound(binding: PortBinding): FleetSchedulerPort {
  const no = (op: string) => () => bindingRequired(binding, 'fleet-scheduler', op);
  return {
    at: () => unbound(binding),
    putService: no('putService'),
    deleteService: no('deleteService'),
    services: no('services'),
    nodes: no('nodes'),
    placements: no('placements'),
    drain: no('drain'),
    activate: no('activate'),
    events: no('events'),
  };
}
