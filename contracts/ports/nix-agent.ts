export type NixAgentObserved = 'idle' | 'activating' | 'active' | 'rolled-back' | 'failed';

export interface NixAgentStatus {
  node: string;
  observed: NixAgentObserved;
  desired: { target_system: string; health_check_command: string | null; generation: number; source: string } | null;
  /** the generation the system profile points at, and its closure */
  current: { generation: number; system: string } | null;
  generations: Array<{ number: number; target: string; current: boolean }>;
  /** where the system profile lives on the node */
  profile: string;
  /** the closure was not present as shipped and had to be built on the node */
  buildRequired: boolean;
  built: boolean;
  lastHealthCheck: { command: string; exitCode: number | null; output: string; durationMs: number; at: string } | null;
  rejected: Array<{ target_system: string; generation: number; at: string }>;
  detail: string | null;
  lastError: string | null;
}

/** nix-agent: converges a node to its desired system, with health check and rollback. */
export interface NixAgentPort {
  at(node: string): NixAgentPort;
  status(): Promise<NixAgentStatus>;
  /** converge now instead of at the next poll */
  reconcile(): Promise<NixAgentStatus>;
  /** tell the agent its desired system directly (instead of through the deployer) */
  setDesiredSystem(desired: { target_system: string; health_check_command?: string | null }): Promise<NixAgentStatus>;
  clearDesiredSystem(): Promise<NixAgentStatus>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const nixAgentOperations = [
  'at',
  'status',
  'reconcile',
  'setDesiredSystem',
  'clearDesiredSystem',
] as const satisfies readonly (keyof NixAgentPort)[];
