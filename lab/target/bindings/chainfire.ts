import { callJson } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export type ChainfireConsistency = 'linearizable' | 'serializable';

export interface ChainfireRead {
  key: string;
  found: boolean;
  value: string | null;
  modRevision: number;
  revision: number;
}

export interface ChainfireMember {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

/** One member's view: its id, the leader it follows, its raft index, whether it is a learner. */
export interface ChainfireStatus {
  node: string;
  member: boolean;
  memberId?: string;
  leaderId?: string;
  leader?: string | null;
  raftIndex?: number;
  raftAppliedIndex?: number;
  raftTerm?: number;
  isLearner?: boolean;
  revision?: number;
}

/**
 * ChainFire: a replicated key-value store with live membership. Every call goes to one node's instance
 * (`at(node)`, default: the first in topology order); reads say which consistency they ask for.
 */
export interface ChainfirePort {
  at(node: string): ChainfirePort;
  put(key: string, value: string): Promise<{ revision: number }>;
  get(key: string, consistency?: ChainfireConsistency): Promise<ChainfireRead>;
  members(): Promise<ChainfireMember[]>;
  /** add `node` as a learner; it starts its member and begins catching up */
  addLearner(node: string): Promise<{ id: string }>;
  promote(node: string): Promise<void>;
  transferLeader(toNode: string): Promise<{ transferred: boolean }>;
  removeMember(node: string): Promise<void>;
  status(): Promise<ChainfireStatus>;
}

export function createChainfirePort(binding: PortBinding, node?: string): ChainfirePort {
  if (binding.kind === 'ultracloud-monorepo') return monorepoChainfire(binding);
  const url = () => instanceUrl(binding, 'chainfire', node);
  return {
    at: (n) => createChainfirePort(binding, n),
    put: (key, value) => callJson('PUT', `${url()}/kv/${encodeURIComponent(key)}`, { body: { value } }),
    get: (key, consistency = 'linearizable') =>
      callJson('GET', `${url()}/kv/${encodeURIComponent(key)}?consistency=${consistency}`),
    members: async () => (await callJson<{ members: ChainfireMember[] }>('GET', `${url()}/members`)).members,
    addLearner: (n) => callJson('POST', `${url()}/members/learner`, { body: { node: n }, timeoutMs: 30_000 }),
    promote: async (n) => void (await callJson('POST', `${url()}/members/${n}/promote`, { timeoutMs: 30_000 })),
    transferLeader: (to) => callJson('POST', `${url()}/leader/transfer`, { body: { node: to }, timeoutMs: 30_000 }),
    removeMember: async (n) => void (await callJson('DELETE', `${url()}/members/${n}`, { timeoutMs: 30_000 })),
    status: () => callJson('GET', `${url()}/status`),
  };
}

function monorepoChainfire(binding: PortBinding): ChainfirePort {
  const missing = (op: string) => () => bindingRequired(binding, 'chainfire', op);
  return {
    at: () => monorepoChainfire(binding),
    put: missing('put'),
    get: missing('get'),
    members: missing('members'),
    addLearner: missing('addLearner'),
    promote: missing('promote'),
    transferLeader: missing('transferLeader'),
    removeMember: missing('removeMember'),
    status: missing('status'),
  };
}
