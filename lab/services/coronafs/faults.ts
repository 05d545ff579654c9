import type { FaultCatalogue } from '../common/fault-switches.ts';

export const coronafsFaults = {
  'lose-writes-on-restart': {
    breaks: 'an acknowledged volume write survives a restart of the service (it reached disk before the answer)',
  },
  'snapshot-follows-volume': {
    breaks: 'a snapshot holds the volume as it was when taken: writes after it do not show in the snapshot',
  },
  'export-live-volume': {
    breaks: 'a snapshot exported to LightningStor holds the snapshot, not the volume as it is when exported',
  },
  'export-follows-volume': {
    breaks: 'a snapshot shipped to LightningStor stays as shipped: later writes to the volume are not shipped after it',
  },
  'restore-ignores-object': {
    breaks: "a volume created from a LightningStor object holds the object's bytes",
  },
} satisfies FaultCatalogue;
