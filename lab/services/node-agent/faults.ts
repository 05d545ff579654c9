import type { FaultCatalogue } from '../common/fault-switches.ts';

export const nodeAgentFaults = {
  'heartbeat-stall': {
    breaks: 'a live worker keeps heartbeating to fleet-scheduler, so it is not mistaken for a lost node',
  },
  'ignore-assignment': {
    breaks: 'node-agent reconciles its running instances to the scheduler assignment',
  },
} satisfies FaultCatalogue;
