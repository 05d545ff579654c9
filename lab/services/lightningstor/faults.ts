import type { FaultCatalogue } from '../common/fault-switches.ts';

export const lightningstorFaults = {
  'lose-object-version': {
    breaks: 'every object version stays readable by its version id and listed until it is deleted',
  },
  'metadata-not-persisted': {
    breaks: 'an acknowledged bucket metadata update survives a service restart',
  },
  'deleted-still-listed': {
    breaks: "a deleted object's delete marker is its latest version, so the bucket no longer lists the object",
  },
  'deleted-still-served': {
    breaks: 'a read of a deleted object without a version id answers 404, not an older version',
  },
  'drop-object-write': {
    breaks:
      'an acknowledged object PUT is stored as a new version (the write is answered with a version id but never stored)',
  },
  'writer-not-recorded': {
    breaks: 'each object version records the address of the client whose request wrote it',
  },
  'replica-acks-without-storing': {
    breaks: 'a write is acknowledged only once every LightningStor replica has stored it',
  },
  'reads-from-first-replica': {
    breaks: 'reads are served by any live replica from its own copy, not forwarded to the first replica',
  },
} satisfies FaultCatalogue;
