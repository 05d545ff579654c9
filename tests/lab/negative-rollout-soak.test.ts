import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { rolloutSoak } from '../../lanes/companion/rollout-soak.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import type { LaneResult } from '../../profiles/result-schema.ts';
import { type StartedLab, startLab } from './support/lab.ts';

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

/**
 * Faults switched on at run time in one lab, one after another: every failed run's undos leave the workers
 * powered on and active, nothing drained and its services deleted, and the next run checks exactly that first.
 */
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
  let lab: StartedLab | undefined;
  let root = '';
  beforeAll(async () => {
    root = await workTempDir('ucp-negative-rollout-soak-');
    lab = await startLab({ workRoot: join(root, 'lab') });
  }, 300_000);
  afterAll(async () => {
    await lab?.dispose();
    await rm(root, { recursive: true, force: true });
  }, 120_000);

  for (const [fault, step, property] of cases) {
    it(`${fault} fails "${step}"`, { timeout: 300_000 }, async () => {
      const cluster = (lab as StartedLab).cluster;
      const [switched, node] = fault.split('@') as [string, string | undefined];
      const [service, name] = switched.split(':') as [ServiceName, string];
      await cluster.faults.set(service, name, node);
      try {
        const result = await runLane(rolloutSoak, {
          target: cluster,
          targetName: `reference lab with ${fault}`,
          runId: fault.replace(/[:@]/g, '-'),
          workRoot: root,
          log: () => {},
        });
        expectViolation(result, step, property);
      } finally {
        await cluster.faults.clear(service, name, node);
      }
    });
  }
});
