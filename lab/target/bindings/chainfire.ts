import type { ChainfireMember, ChainfirePort } from '../../../contracts/ports/chainfire.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createChainfirePort(binding: PortBinding, node?: string): ChainfirePort {
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
