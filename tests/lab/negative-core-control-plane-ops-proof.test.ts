import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { coreControlPlaneOpsProof } from '../../lanes/companion/core-control-plane-ops-proof.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import type { LaneResult } from '../../profiles/result-schema.ts';
import { type StartedLab, startLab } from './support/lab.ts';
import { runLaneWithFaults } from './support/negative-lane.ts';

function expectViolation(result: LaneResult, step: string, property: string | RegExp): void {
  const why = JSON.stringify(result.failure);
  expect(result.status, why).toBe('failed');
  expect(result.failure?.kind, why).toBe('property');
  expect(result.failure?.stepPath.at(-1), why).toBe(step);
  if (typeof property === 'string') expect(result.failure?.property, why).toBe(property);
  else expect(result.failure?.property, why).toMatch(property);
}

const services: ServiceName[] = ['chainfire', 'flaredb', 'iam'];

const steps = {
  chainfire:
    'chainfire publishes its API boundary: the control-plane voters as members, one leader for all, a put read back at its revision',
  destructive:
    'flaredb refuses destructive DDL (DROP TABLE, DROP COLUMN) with 409, and the table, its column and its rows remain',
  bootstrap: 'iam bootstraps its admin once: a second bootstrap is refused (409) and mints no admin',
  secret: 'iam refuses a secret that is almost right (401) and issues a token for the exact one',
  keys: 'iam signing-key rotation overlaps: an old-key token verifies until its key is retired and not after; a new-key token verifies throughout',
  credentials:
    'iam credential rotation overlaps: the new secret issues tokens, the old one until retirePreviousCredential and not after',
  mtls: 'iam mTLS CA rotation overlaps: client certificates of the old and the new CA connect during the overlap; the old one is refused once its CA is retired',
};

describe('core-control-plane-ops-proof fails on a target whose IAM bootstrap works twice', () => {
  it('iam:bootstrap-twice on from boot', { timeout: 300_000 }, async () => {
    const result = await runLaneWithFaults(coreControlPlaneOpsProof, { faults: ['iam:bootstrap-twice'], services });
    expectViolation(result, steps.bootstrap, 'a second bootstrap is refused with 409');
  });
});

/** Faults switched on at run time in one lab; each run fails at the named step and the lab is reused. */
const runtimeFaults: Array<[service: ServiceName, fault: string, step: string, property: string | RegExp]> = [
  [
    'iam',
    'retired-key-still-accepted',
    steps.keys,
    'after its key is retired a token of the old key no longer verifies',
  ],
  [
    'iam',
    'rotation-drops-old-key',
    steps.keys,
    'the rotation makes a new current key and keeps the old one as previous',
  ],
  ['iam', 'old-ca-trusted-after-retire', steps.mtls, 'after its CA is retired the old-CA certificate is refused'],
  [
    'iam',
    'mtls-drops-previous-ca',
    steps.mtls,
    'the rotation makes a new current CA and keeps the old one as previous',
  ],
  [
    'iam',
    'retired-credential-still-accepted',
    steps.credentials,
    'after retirePreviousCredential the old secret is refused (401)',
  ],
  [
    'iam',
    'secret-prefix-match',
    steps.secret,
    'iam refuses a token for the secret with its last character changed (401)',
  ],
  ['flaredb', 'accept-destructive-ddl', steps.destructive, 'DROP TABLE is refused with 409'],
  ['chainfire', 'stale-linearizable-read', steps.chainfire, /^node0[123] reads the put at its revision$/],
];

describe('core-control-plane-ops-proof names the step and property each fault breaks (one lab, faults switched at run time)', () => {
  let lab: StartedLab | undefined;
  let root = '';
  beforeAll(async () => {
    root = await workTempDir('ucp-negative-core-ops-');
    lab = await startLab({ workRoot: join(root, 'lab'), services });
  }, 300_000);
  afterAll(async () => {
    await lab?.dispose();
    await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('passes on the lab with no fault on', { timeout: 300_000 }, async () => {
    const result = await runLane(coreControlPlaneOpsProof, {
      target: (lab as StartedLab).cluster,
      targetName: 'reference lab',
      runId: 'no-fault',
      workRoot: root,
      log: () => {},
    });
    expect(result.status, JSON.stringify(result.failure)).toBe('passed');
  });

  for (const [service, fault, step, property] of runtimeFaults) {
    const name = `${service}:${fault}`;
    it(`${name} fails "${property}"`, { timeout: 300_000 }, async () => {
      const cluster = (lab as StartedLab).cluster;
      await cluster.faults.set(service, fault);
      try {
        const result = await runLane(coreControlPlaneOpsProof, {
          target: cluster,
          targetName: `reference lab with ${name}`,
          runId: `${service}-${fault}`,
          workRoot: root,
          log: () => {},
        });
        expectViolation(result, step, property);
      } finally {
        await cluster.faults.clear(service, fault);
      }
    });
  }
});
