import type { FaultCatalogue } from '../common/fault-switches.ts';

export const coronafsFaults = {
  'lose-writes-on-restart': {
    breaks: 'an acknowledged volume write survives a restart of the service (it reached disk before the answer)',
  },
  'snapshot-follows-volume': {
    breaks: 'a snapshot holds the volume as it was when taken: writes after it do not show in the snapshot',
  },
} satisfies FaultCatalogue;
