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

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const prismnetOperations = [
  'at',
  'createNetwork',
  'networks',
  'createPort',
  'port',
  'ports',
  'deletePort',
  'setPortSecurityGroups',
  'createSecurityGroup',
  'securityGroup',
  'addRule',
  'removeRule',
  'dataplane',
] as const satisfies readonly (keyof PrismnetPort)[];
