import { describe, expect, it } from 'vitest';
import { rolloutSoak } from '../../lanes/companion/rollout-soak.ts';
import type { LaneResult } from '../../profiles/result-schema.ts';
import { runLaneWithFaults } from './support/negative-lane.ts';

function expectViolation(result: LaneResult, step: string, property: string): void {
  const why = JSON.stringify(result.failure);
  expect(result.status, why).toBe('failed');
  expect(result.failure?.kind, why).toBe('property');
  expect(result.failure?.stepPath.at(-1), why).toBe(step);
  expect(result.failure?.property, why).toBe(property);
}

const steps = {
  drain:
    'drain: node05 is draining, its replicas move to node04, and a service put while it drains gets no replica on it',
  drainHold:
    'held drained for 30 s: at every check node05 stays draining with no replica, and node04 runs every replica',
  restore: 'restore: node05 is active again and the replicas re-converge onto both workers',
  loss: 'fail-stop: node05 loses power, is marked lost, and its replicas are rescheduled to node04',
  deployer: 'deployer on node01 restarts in a new process and answers again',
  flaredb: 'flaredb on node01 restarts in a new process and answers again',
  applied: 'the generated cluster state applied through the deployer reads back equal to the evaluated state',
};

/** Each fault on from the boot of a lab of its own. */
const cases: Array<[fault: string, step: string, property: string]> = [
  // the drain holds for its first seconds and lapses inside the 30 s hold: only the held checks see it
  [
    'fleet-scheduler:drain-lapses',
    steps.drainHold,
    'no replica is placed on the drained node05 at any check of the hold',
  ],
  [
    'fleet-scheduler:draining-gets-new-placements',
    steps.drain,
    'no replica of the service put during the drain is placed on the draining node05',
  ],
  [
    'fleet-scheduler:drain-never-restores',
    steps.restore,
    'the replicas of the soak service are spread evenly again and run',
  ],
  ['fleet-scheduler:ignore-node-loss', steps.loss, 'node05 is marked lost once its heartbeats stop'],
  ['deployer:restart-noop@node01', steps.deployer, 'deployer on node01 runs in a new process after its restart'],
  // the last of the five restarts: a no-op there is caught as surely as on the first
  ['flaredb:restart-noop@node01', steps.flaredb, 'flaredb on node01 runs in a new process after its restart'],
  [
    'deployer:apply-drops-desired-system',
    steps.applied,
    'every applied class, node and service has exactly the fields of the evaluated state',
  ],
  ['deployer:apply-duplicates-nodes', steps.applied, 'a re-apply of the same generated state changes nothing'],
];

describe('rollout-soak names the step and property each broken maintenance, loss or restart promise breaks', () => {
  for (const [fault, step, property] of cases) {
    it(`${fault} fails "${step}"`, { timeout: 300_000 }, async () => {
      const result = await runLaneWithFaults(rolloutSoak, { faults: [fault] });
      expectViolation(result, step, property);
    });
  }
});
