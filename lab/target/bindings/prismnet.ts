import type { PrismnetPort, TenantNetwork, TenantPort } from '../../../contracts/ports/prismnet.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createPrismnetPort(binding: PortBinding, node?: string): PrismnetPort {
  const url = (path: string) => `${instanceUrl(binding, 'prismnet', node)}/v1${path}`;
  const enc = encodeURIComponent;
  return {
    at: (n) => createPrismnetPort(binding, n),
    createNetwork: (name, cidr) => callJson('POST', url('/networks'), { body: { name, cidr } }),
    networks: async () => (await callJson<{ networks: TenantNetwork[] }>('GET', url('/networks'))).networks,
    createPort: (network, port) => callJson('POST', url(`/networks/${enc(network)}/ports`), { body: port }),
    port: (id) => callJson('GET', url(`/ports/${enc(id)}`)),
    ports: async () => (await callJson<{ ports: TenantPort[] }>('GET', url('/ports'))).ports,
    deletePort: async (id) => void (await callJson('DELETE', url(`/ports/${enc(id)}`))),
    setPortSecurityGroups: (id, securityGroups) =>
      callJson('PUT', url(`/ports/${enc(id)}/security-groups`), { body: { securityGroups } }),
    createSecurityGroup: (name) => callJson('POST', url('/security-groups'), { body: { name } }),
    securityGroup: (id) => callJson('GET', url(`/security-groups/${enc(id)}`)),
    addRule: (sg, rule) => callJson('POST', url(`/security-groups/${enc(sg)}/rules`), { body: rule }),
    removeRule: async (sg, ruleId) =>
      void (await callJson('DELETE', url(`/security-groups/${enc(sg)}/rules/${enc(ruleId)}`))),
    dataplane: () => callJson('GET', url('/dataplane')),
  };
}
