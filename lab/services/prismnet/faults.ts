import type { FaultCatalogue } from '../common/fault-switches.ts';

export const prismnetFaults = {
  'acl-add-noop': {
    breaks: 'an added security-group ACL rule is enforced on real traffic to the ports in the group',
  },
  'acl-remove-noop': {
    breaks: 'a removed security-group ACL rule stops affecting real traffic to the ports in the group',
  },
} satisfies FaultCatalogue;
