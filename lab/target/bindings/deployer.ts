import { BindingRequiredError } from '../../../contracts/errors.ts';
import {
  AppliedCluster,
  ApplyResult,
  type BinaryCacheRequest,
  bundleFetchesSchema,
  type DeployerNode,
  type DeployerPort,
  type NodeClass,
} from '../../../contracts/ports/deployer.ts';
import { callJson, HttpCallError } from '../../../helpers/http.ts';
import { registerSecret } from '../../../helpers/redact.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createDeployerPort(binding: PortBinding, node?: string): DeployerPort {
  const url = (path: string) => `${instanceUrl(binding, 'deployer', node)}/api/v1${path}`;
  const enc = encodeURIComponent;
  const bearer = (token: string | null): Record<string, string> =>
    token === null ? {} : { authorization: `Bearer ${token}` };
  return {
    at: (n) => createDeployerPort(binding, n),
    putClass: (name, spec) => callJson('PUT', url(`/admin/classes/${enc(name)}`), { body: spec }),
    classes: async () => (await callJson<{ classes: NodeClass[] }>('GET', url('/admin/classes'))).classes,
    async issueBootstrapToken() {
      const out = await callJson<{ id: string; token: string }>('POST', url('/admin/bootstrap-tokens'));
      registerSecret(out.token);
      return out;
    },
    async revokeBootstrapToken(id) {
      await callJson('DELETE', url(`/admin/bootstrap-tokens/${enc(id)}`));
    },
    preregister: (request) => callJson('POST', url('/admin/nodes'), { body: request }),
    nodes: async () => (await callJson<{ nodes: DeployerNode[] }>('GET', url('/admin/nodes'))).nodes,
    async inspect(nodeId) {
      try {
        return await callJson('GET', url(`/admin/nodes/${enc(nodeId)}`));
      } catch (err) {
        if (err instanceof HttpCallError && err.status === 404) return null;
        throw err;
      }
    },
    publishDesiredSystem: (nodeId, desired) =>
      callJson('PUT', url(`/admin/nodes/${enc(nodeId)}/desired-system`), { body: desired }),
    phoneHome: (request, token) => callJson('POST', url('/phone-home'), { body: request, headers: bearer(token) }),
    async downloadBundle(nodeClass, token) {
      const target = url(`/bundle/${enc(nodeClass)}`);
      const res = await fetch(target, { headers: bearer(token), signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new HttpCallError('GET', target, res.status, await res.text());
      return Buffer.from(await res.arrayBuffer());
    },
    async bundleFetches() {
      const answer = bundleFetchesSchema.safeParse(await callJson('GET', url('/admin/bundle-fetches')));
      if (!answer.success) {
        const issue = answer.error.issues[0];
        throw new Error(
          `deployer answered an invalid bundle-fetch record: ${issue?.path.join('.')}: ${issue?.message}`,
        );
      }
      return answer.data.fetches;
    },
    desiredSystem: (nodeId) => callJson('GET', url(`/nodes/${enc(nodeId)}/desired-system`)),
    applyCluster: (state) => callJson('POST', url('/admin/cluster/apply'), { body: state, schema: ApplyResult }),
    appliedCluster: () => callJson('GET', url('/admin/cluster'), { schema: AppliedCluster }),
    async reportStatus(nodeId, status) {
      await callJson('POST', url(`/nodes/${enc(nodeId)}/status`), { body: status });
    },
    // the lab's build host (its controller) signs and copies into the cache the deployer serves
    async shipToBinaryCache(paths) {
      if (!binding.controllerUrl) throw new BindingRequiredError('deployer.shipToBinaryCache', binding.targetName);
      return callJson('POST', `${binding.controllerUrl}/binary-cache`, { body: { paths }, timeoutMs: 120_000 });
    },
    binaryCacheRequests: () =>
      callJson<{ binary_cache_url: string | null; requests: BinaryCacheRequest[] }>(
        'GET',
        url('/admin/binary-cache/requests'),
      ),
  };
}
