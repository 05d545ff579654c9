export type NodeState = 'active' | 'draining' | 'lost';

export interface ServiceSpec {
  name: string;
  replicas: number;
  /** argv of each instance; null runs node-agent's built-in instance server */
  command: string[] | null;
  updatedAt: string;
  /** the nodes a replica may run on (a service of the deployer's applied cluster state); absent: any worker */
  nodes?: string[];
  /** where the service came from: the deployer's applied cluster state, or PUT /api/v1/services */
  source?: 'deployer' | 'api';
}

export interface WorkerNode {
  name: string;
  state: NodeState;
  /** set by drain, cleared by activate: a maintenance window */
  maintenance: boolean;
  registeredAt: string;
}

export interface Assignment {
  id: string;
  service: string;
  node: string;
  since: string;
  /** placed on a draining node (fault draining-gets-new-placements); such a replica is not evicted */
  ontoDraining?: boolean;
}

export interface FleetEvent {
  at: string;
  kind: string;
  detail: string;
}

/** fleet-scheduler's durable state; heartbeat times are kept in memory (a restart grants a fresh grace period) */
export interface FleetState {
  services: Record<string, ServiceSpec>;
  nodes: Record<string, WorkerNode>;
  assignments: Record<string, Assignment>;
  nextInstance: number;
  events: FleetEvent[];
}

export const emptyFleetState = (): FleetState => ({
  services: {},
  nodes: {},
  assignments: {},
  nextInstance: 1,
  events: [],
});

export function recordEvent(state: FleetState, kind: string, detail: string): void {
  state.events.push({ at: new Date().toISOString(), kind, detail });
  if (state.events.length > 500) state.events.splice(0, state.events.length - 500);
}
