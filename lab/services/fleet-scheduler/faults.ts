import type { FaultCatalogue } from '../common/fault-switches.ts';

export const fleetSchedulerFaults = {
  'drain-never-restores': {
    breaks: 'replicas are restored onto a node when it returns from maintenance or loss',
  },
  'ignore-node-loss': {
    breaks: 'a worker whose heartbeats stop is marked lost and its replicas are rescheduled to live nodes',
  },
  'drain-keeps-replicas': {
    breaks: 'draining a node for maintenance moves its replicas off it',
  },
  'draining-gets-new-placements': {
    breaks: 'a draining node gets no new replica: a service put while it drains is placed on active nodes only',
  },
  'drain-lapses': {
    breaks:
      'a drain holds for the whole maintenance window: a node draining for more than 10 s (UCP_FLEET_DRAIN_LAPSE_MS) is still given no replica',
  },
  'ignore-deployer-services': {
    breaks: "fleet-scheduler runs the services of the deployer's applied cluster state, and stops those it drops",
  },
} satisfies FaultCatalogue;
