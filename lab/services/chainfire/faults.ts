import type { FaultCatalogue } from '../common/fault-switches.ts';

export const chainfireFaults = {
  'learner-never-catches-up': {
    breaks: "a learner's local replica catches up with the leader's raft index (and can then be promoted)",
  },
  'stale-serializable-read': {
    breaks: 'a serializable read on a caught-up member answers the latest committed value',
  },
  'stale-linearizable-read': {
    breaks: 'a linearizable read answers the latest value written before it began (not one up to a second old)',
  },
  'leader-transfer-noop': {
    breaks: 'a reported leader transfer moves leadership to the named member',
  },
} satisfies FaultCatalogue;
