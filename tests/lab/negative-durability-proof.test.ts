import { describe, expect, it } from 'vitest';
import { durabilityProof } from '../../lanes/companion/durability-proof.ts';
import type { LaneResult } from '../../profiles/result-schema.ts';
import { runLaneWithFaults } from './support/negative-lane.ts';

function expectViolation(result: LaneResult, step: string, property: string | RegExp): void {
  const why = JSON.stringify(result.failure);
  expect(result.status, why).toBe('failed');
  expect(result.failure?.kind, why).toBe('property');
  expect(result.failure?.stepPath.at(-1), why).toBe(step);
  if (typeof property === 'string') expect(result.failure?.property, why).toBe(property);
  else expect(result.failure?.property, why).toMatch(property);
}

const steps = {
  flaredb:
    'flaredb: a logical backup restored into an empty store holds every table and row of the source, and no row written after the backup',
  chainfire:
    "chainfire: the lane's keys exported by reading them from another voter and re-put under a fresh prefix read back value for value on every voter; a key written after the export is not restored",
  restart:
    'deployer: the pre-registered node survives a restart of the deployer service, which runs in a new process afterwards',
  replay:
    'deployer: the request replayed from the backup artifact is idempotent: still exactly one node of that id, nothing duplicated',
  coronafs:
    'coronafs: a volume keeps its attachment, snapshot and every acknowledged byte through a power loss of the node holding it',
  lightningstor:
    'lightningstor: while the object store node that took the writes is powered off, another replica answers a HEAD with the bucket and the latest version; afterwards every acknowledged version reads back',
  nightlight:
    'nightlight: samples in its snapshot and in its WAL read back after a restart in a new process, none lost and none duplicated',
};

/** Faults switched on one run after another, each run in the file's lab restored to its booted state. */
const cases: Array<[fault: string, step: string, property: string | RegExp]> = [
  [
    'flaredb:restore-drops-rows',
    steps.flaredb,
    /^the restored durability_[0-9a-f]{6}_accounts holds exactly the backup's rows: none missing, none extra$/,
  ],
  ['chainfire:stale-linearizable-read', steps.chainfire, 'the export holds the latest acknowledged value of every key'],
  ['deployer:restart-noop@node01', steps.restart, 'deployer on node01 runs in a new process after its restart'],
  [
    'deployer:forget-preregistered-on-restart',
    steps.restart,
    /^the pre-registered node UC-DURABILITY-[0-9A-F]{6} is listed after the restart with its class, hostname and registration time$/,
  ],
  ['deployer:non-idempotent-preregister', steps.replay, 'the replay answers the existing node and creates none'],
  [
    'coronafs:lose-writes-on-restart@node04',
    steps.coronafs,
    'every block written before the power loss reads back byte for byte after it',
  ],
  [
    'coronafs:snapshot-follows-volume',
    steps.coronafs,
    'the snapshot holds the volume as it was when taken: its first block, not the write after it',
  ],
  [
    'lightningstor:lose-object-version',
    steps.lightningstor,
    'every version acknowledged before the outage is listed and reads back its bytes by version id',
  ],
  [
    'lightningstor:replica-acks-without-storing@node06',
    steps.lightningstor,
    'a HEAD during the outage of node05 answers no other version and no missing object',
  ],
  [
    'lightningstor:reads-from-first-replica@node06',
    steps.lightningstor,
    'LightningStor on node06 answers the HEAD while node05 is down',
  ],
  [
    'nightlight:wal-not-replayed',
    steps.nightlight,
    'every sample acknowledged before the restart reads back after it, none lost and none duplicated',
  ],
  ['nightlight:restart-noop', steps.nightlight, 'nightlight on node06 runs in a new process after its restart'],
];

describe('durability-proof names the step and property each broken durability promise breaks', () => {
  // One lab for the file (tests/lab/support/negative-lane.ts): each run switches its fault on and gets the lab
  // restored to its booted snapshot first (FlareDB's empty stores, every node's state and network), so the fault is
  // on from the services' first moment and nothing an earlier run left (a restored store, a powered-off node)
  // reaches the next.
  for (const [fault, step, property] of cases) {
    it(`${fault} fails "${step}"`, { timeout: 300_000 }, async () => {
      const result = await runLaneWithFaults(durabilityProof, { faults: [fault] });
      expectViolation(result, step, property);
      expect(result.startShape?.restores, 'the run started from a restored lab').toHaveLength(1);
    });
  }
});
