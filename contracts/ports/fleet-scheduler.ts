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
  /** the nodes a replica may run on (a service of the deployer's applied cluster state); absent: any worker */
  nodes?: string[];
  /** where fleet-scheduler got the service: the deployer's applied cluster state, or putService */
  source?: 'deployer' | 'api';
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

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const fleetSchedulerOperations = [
  'at',
  'putService',
  'deleteService',
  'services',
  'nodes',
  'placements',
  'drain',
  'activate',
  'events',
] as const satisfies readonly (keyof FleetSchedulerPort)[];
