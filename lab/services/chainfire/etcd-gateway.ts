import { type HttpAnswer, httpExchange } from '../../../helpers/http.ts';
import { HttpError } from '../common/http-service.ts';

/** etcd's v3 JSON gateway (grpc-gateway): base64 keys and values, uint64 ids as strings. */
export interface EtcdMember {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface EtcdStatus {
  memberId: string;
  leaderId: string;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  isLearner: boolean;
  revision: number;
}

export interface EtcdKv {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');
type Json = Record<string, unknown>;
const pick = (o: Json, ...names: string[]): unknown => names.map((n) => o[n]).find((v) => v !== undefined);

export class EtcdGateway {
  readonly url: string;
  constructor(clientUrl: string) {
    this.url = clientUrl;
  }

  async call(path: string, body: Json, timeoutMs = 5_000): Promise<Json> {
    let res: HttpAnswer;
    try {
      res = await httpExchange('POST', `${this.url}${path}`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs,
      });
    } catch (err) {
      throw new HttpError(503, `etcd at ${this.url} did not answer ${path}: ${(err as Error).message}`);
    }
    let json: Json = {};
    try {
      const parsed: unknown = JSON.parse(res.text);
      if (parsed && typeof parsed === 'object') json = parsed as Json;
    } catch {
      // not JSON: the status speaks
    }
    if (!res.ok || json.error) {
      const message = String(json.message ?? json.error ?? `status ${res.status}`);
      throw new HttpError(res.status >= 500 || !res.ok ? 503 : 409, `etcd ${path}: ${message}`);
    }
    return json;
  }

  async put(key: string, value: string): Promise<number> {
    const r = await this.call('/v3/kv/put', { key: b64(key), value: b64(value) });
    return Number((r.header as Json).revision);
  }

  async range(
    key: string,
    opts: { serializable?: boolean; revision?: number } = {},
  ): Promise<{ kv: EtcdKv | null; revision: number }> {
    const r = await this.call('/v3/kv/range', {
      key: b64(key),
      serializable: opts.serializable ?? false,
      revision: opts.revision ?? 0,
    });
    const raw = (r.kvs as Json[] | undefined)?.[0];
    const kv = raw
      ? {
          key: unb64(raw.key as string),
          value: unb64(raw.value as string),
          createRevision: Number(pick(raw, 'create_revision', 'createRevision') ?? 0),
          modRevision: Number(pick(raw, 'mod_revision', 'modRevision') ?? 0),
          version: Number(raw.version ?? 0),
        }
      : null;
    return { kv, revision: Number((r.header as Json).revision) };
  }

  async members(): Promise<EtcdMember[]> {
    const r = await this.call('/v3/cluster/member/list', {});
    return ((r.members as Json[]) ?? []).map((m) => ({
      id: String(m.ID),
      name: String(m.name ?? ''),
      peerUrls: (pick(m, 'peerURLs') as string[]) ?? [],
      clientUrls: (pick(m, 'clientURLs') as string[]) ?? [],
      isLearner: Boolean(pick(m, 'isLearner')),
    }));
  }

  /**
   * A membership change. etcd refuses one ("unhealthy cluster") until the leader has been connected to a quorum
   * for 5 s, e.g. just after boot or an election: such refusals are retried for 20 s.
   */
  private async reconfigure(path: string, body: Json): Promise<Json> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        return await this.call(path, body);
      } catch (err) {
        if (!String((err as Error).message).includes('unhealthy cluster') || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async addLearner(peerUrl: string): Promise<string> {
    const r = await this.reconfigure('/v3/cluster/member/add', { peerURLs: [peerUrl], isLearner: true });
    return String((r.member as Json).ID);
  }

  async promote(id: string): Promise<void> {
    await this.reconfigure('/v3/cluster/member/promote', { ID: id });
  }

  async remove(id: string): Promise<void> {
    await this.reconfigure('/v3/cluster/member/remove', { ID: id });
  }

  async transferLeadership(targetId: string): Promise<void> {
    await this.call('/v3/maintenance/transfer-leadership', { targetID: targetId }, 15_000);
  }

  async status(timeoutMs = 3_000): Promise<EtcdStatus> {
    const r = await this.call('/v3/maintenance/status', {}, timeoutMs);
    const header = r.header as Json;
    return {
      memberId: String(pick(header, 'member_id', 'memberId')),
      leaderId: String(r.leader ?? '0'),
      raftIndex: Number(pick(r, 'raftIndex', 'raft_index') ?? 0),
      raftTerm: Number(pick(r, 'raftTerm', 'raft_term') ?? 0),
      raftAppliedIndex: Number(pick(r, 'raftAppliedIndex', 'raft_applied_index') ?? 0),
      isLearner: Boolean(pick(r, 'isLearner', 'is_learner')),
      revision: Number(header.revision ?? 0),
    };
  }
}
