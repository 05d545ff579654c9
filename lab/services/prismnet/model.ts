import { z } from 'zod';

const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR such as 10.0.0.0/8');

export const AclRuleInput = z
  .object({
    /** deny blocks matching traffic; allow lets it through ahead of later deny rules (first match wins) */
    action: z.enum(['deny', 'allow']).default('deny'),
    direction: z.literal('ingress').default('ingress'),
    protocol: z.enum(['tcp', 'udp', 'icmp', 'any']).default('tcp'),
    portMin: z.number().int().min(1).max(65535).optional(),
    portMax: z.number().int().min(1).max(65535).optional(),
    remoteCidr: cidr.default('0.0.0.0/0'),
  })
  .refine((r) => r.portMin === undefined || r.protocol === 'tcp' || r.protocol === 'udp', {
    message: 'ports only apply to tcp and udp',
    path: ['portMin'],
  })
  .refine((r) => r.portMax === undefined || (r.portMin !== undefined && r.portMax >= r.portMin), {
    message: 'portMax needs a portMin not above it',
    path: ['portMax'],
  });
export type AclRuleInput = z.infer<typeof AclRuleInput>;
export type AclRule = AclRuleInput & { id: string };

export interface Network {
  id: string;
  name: string;
  cidr: string;
  gateway: string;
  /** the Linux bridge carrying the network in this node's namespace */
  bridge: string;
}

export interface Port {
  id: string;
  name: string;
  network: string;
  ip: string;
  securityGroups: string[];
}

export interface SecurityGroup {
  id: string;
  name: string;
  rules: AclRule[];
}

export interface NetState {
  networks: Record<string, Network>;
  ports: Record<string, Port>;
  securityGroups: Record<string, SecurityGroup>;
}
