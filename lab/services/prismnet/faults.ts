import type { FaultCatalogue } from '../common/fault-switches.ts';

export const prismnetFaults = {
  'acl-add-noop': {
    breaks: 'an added security-group ACL rule is enforced on real traffic to the ports in the group',
  },
  'acl-remove-noop': {
    breaks: 'a removed security-group ACL rule stops affecting real traffic to the ports in the group',
  },
  'acl-deny-rejects': {
    breaks: 'a deny rule drops the matching packets silently (iptables DROP: the client sees no answer, not a refusal)',
  },
  'acl-rule-ignores-match': {
    breaks:
      'an ACL rule affects only the traffic it names (its protocol, port range and remote CIDR), nothing else to the port',
  },
  'acl-not-on-forward': {
    breaks:
      "a port's security-group rules apply to traffic forwarded to it (a VM's tap on the tenant bridge), not only to addresses the node holds itself",
  },
} satisfies FaultCatalogue;
