export interface AgentInstance {
  id: string;
  service: string;
  pid: number;
  running: boolean;
  argv: string[];
  startedAt: string;
  /** the instance's log, under the pids dir */
  log: string;
  port: number | null;
}

export interface NodeAgentStatus {
  node: string;
  scheduler: string | null;
  heartbeats: number;
  lastHeartbeat: { at: string | null; ok: boolean; error: string | null; state: string | null };
  /** `${stateDir}/pids`: per-instance logs and pid metadata */
  pidsDir: string;
}

/** node-agent: runs a worker's assigned instances as processes and heartbeats to fleet-scheduler. */
export interface NodeAgentPort {
  at(node: string): NodeAgentPort;
  instances(): Promise<{ pidsDir: string; instances: AgentInstance[] }>;
  status(): Promise<NodeAgentStatus>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const nodeAgentOperations = ['at', 'instances', 'status'] as const satisfies readonly (keyof NodeAgentPort)[];
