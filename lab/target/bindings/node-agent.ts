import { callJson } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

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

export function createNodeAgentPort(binding: PortBinding, node?: string): NodeAgentPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (path: string) => `${instanceUrl(binding, 'node-agent', node)}/api/v1${path}`;
  return {
    at: (n) => createNodeAgentPort(binding, n),
    instances: () => callJson('GET', url('/instances')),
    status: () => callJson('GET', url('/status')),
  };
}

function unbound(binding: PortBinding): NodeAgentPort {
  const no = (op: string) => () => bindingRequired(binding, 'node-agent', op);
  return { at: () => unbound(binding), instances: no('instances'), status: no('status') };
}
