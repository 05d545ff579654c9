import { callJson } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export interface TenantNetwork {
  id: string;
  name: string;
  cidr: string;
  gateway: string;
  /** the Linux bridge carrying it on the node */
  bridge: string;
}

export interface TenantPort {
  id: string;
  name: string;
  network: string;
  ip: string;
  securityGroups: string[];
}

export interface AclRule {
  id: string;
  action: 'deny' | 'allow';
  direction: 'ingress';
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  portMin?: number;
  portMax?: number;
  remoteCidr: string;
}

export interface SecurityGroup {
  id: string;
  name: string;
  rules: AclRule[];
}

/** PrismNet: tenant networks, ports with allocated addresses, and security-group ACLs enforced on traffic. */
export interface PrismnetPort {
  at(node: string): PrismnetPort;
  createNetwork(name: string, cidr: string): Promise<TenantNetwork>;
  networks(): Promise<TenantNetwork[]>;
  createPort(network: string, port: { name: string; securityGroups?: string[]; ip?: string }): Promise<TenantPort>;
  port(id: string): Promise<TenantPort>;
  ports(): Promise<TenantPort[]>;
  deletePort(id: string): Promise<void>;
  setPortSecurityGroups(id: string, securityGroups: string[]): Promise<TenantPort>;
  createSecurityGroup(name: string): Promise<SecurityGroup>;
  securityGroup(id: string): Promise<SecurityGroup>;
  addRule(securityGroup: string, rule: Partial<Omit<AclRule, 'id'>>): Promise<AclRule>;
  removeRule(securityGroup: string, ruleId: string): Promise<void>;
  /** the enforcement point as the node's kernel holds it: bridges and ACL rules */
  dataplane(): Promise<{ bridges: string[]; rules: string[] }>;
}

export function createPrismnetPort(binding: PortBinding, node?: string): PrismnetPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
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

function unbound(binding: PortBinding): PrismnetPort {
  const missing = (operation: string) => () => bindingRequired(binding, 'prismnet', operation);
  return {
    at: () => unbound(binding),
    createNetwork: missing('createNetwork'),
    networks: missing('networks'),
    createPort: missing('createPort'),
    port: missing('port'),
    ports: missing('ports'),
    deletePort: missing('deletePort'),
    setPortSecurityGroups: missing('setPortSecurityGroups'),
    createSecurityGroup: missing('createSecurityGroup'),
    securityGroup: missing('securityGroup'),
    addRule: missing('addRule'),
    removeRule: missing('removeRule'),
    dataplane: missing('dataplane'),
  };
}
