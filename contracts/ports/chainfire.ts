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
  /**
   * move leadership to `toNode`; answers `transferred: true` once the transfer is done (as etcd's MoveLeader does):
   * `toNode` has won an election, in a term later than any it was in before
   */
  transferLeader(toNode: string): Promise<{ transferred: boolean }>;
  removeMember(node: string): Promise<void>;
  status(): Promise<ChainfireStatus>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const chainfireOperations = [
  'at',
  'put',
  'get',
  'members',
  'addLearner',
  'promote',
  'transferLeader',
  'removeMember',
  'status',
] as const satisfies readonly (keyof ChainfirePort)[];
