import type { FaultCatalogue } from '../common/fault-switches.ts';

export const nixAgentFaults = {
  'ignore-health-check': {
    breaks: 'a desired system whose health_check_command fails is not reported active',
  },
  'stay-on-rejected-generation': {
    breaks: 'after a failed health check the node switches back and does not stay on the rejected generation',
  },
  'compile-on-guest': {
    breaks: 'a host-built target closure is activated as shipped, without guest-side compilation',
  },
  'build-on-node': {
    breaks:
      "a target closure reaches the node's store by substitution from the signed binary cache, never by a build on the node",
  },
} satisfies FaultCatalogue;
