import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { providerVmRealityProof } from '../../lanes/companion/provider-vm-reality-proof.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import type { LaneResult } from '../../profiles/result-schema.ts';
import { type StartedLab, startLab } from './support/lab.ts';

/** the services provider-vm-reality-proof speaks to: the rest of the six-node harness is not booted */
const services: ServiceName[] = ['prismnet', 'fiberlb', 'flashdns', 'plasmavmc', 'coronafs'];

const steps = {
  drain: 'fiberlb: a drained backend gets no new connections; restored, traffic re-converges',
  dns: "flashdns: a record added through the API is answered authoritatively with the LB's address",
  migration:
    'plasmavmc: the running VM live-migrates from node04 to node05 and serves the same data there without a reboot; node04 does not run it any more',
};

function expectViolation(result: LaneResult, step: string, property: RegExp): void {
  const why = JSON.stringify(result.failure);
  expect(result.status, why).toBe('failed');
  expect(result.failure?.kind, why).toBe('property');
  expect(result.failure?.stepPath, why).toEqual(['provider-vm-reality-proof', step]);
  expect(result.failure?.property, why).toMatch(property);
}

/** Faults switched on at run time in one lab; the lane removes what it made after each failed run. */
const cases: Array<[service: ServiceName, fault: string, node: string | undefined, step: string, property: RegExp]> = [
  ['fiberlb', 'drain-ignored', undefined, steps.drain, /^after the drain only m-[0-9a-f]{6}-b answers$/],
  [
    'flashdns',
    'wrong-authority',
    undefined,
    steps.dns,
    /^the answer for lb\.m[0-9a-f]{6}\.fresh-matrix\.lab is authoritative \(AA\)$/,
  ],
  [
    'plasmavmc',
    'migration-leaves-source-running',
    'node04',
    steps.migration,
    /^node04 does not run the VM's QEMU any more \(process \d+ is gone\)$/,
  ],
  [
    'plasmavmc',
    'migration-disk-not-shared',
    'node05',
    steps.migration,
    // the guest reads its state off the disk it has now (an empty one) unless its page cache still holds it; its
    // next write then misses the volume: either way the migration lost the data
    /^(the guest serves on node05 the data it wrote on node04|a write the guest acknowledges after the migration lands on the same CoronaFS volume vm-[0-9a-f]{12})$/,
  ],
];

describe('provider-vm-reality-proof names the step and property each fault breaks (one lab, faults switched at run time)', () => {
  let lab: StartedLab | undefined;
  let root = '';
  beforeAll(async () => {
    root = await workTempDir('ucp-negative-provider-vm-reality-proof-');
    lab = await startLab({ services, workRoot: join(root, 'lab') });
  }, 300_000);
  afterAll(async () => {
    await lab?.dispose();
    await rm(root, { recursive: true, force: true });
  }, 120_000);

  for (const [service, fault, node, step, property] of cases) {
    const switched = `${service}:${fault}${node ? `@${node}` : ''}`;
    it(`${switched} fails "${step}"`, { timeout: 900_000 }, async () => {
      const cluster = (lab as StartedLab).cluster;
      await cluster.faults.set(service, fault, node);
      try {
        const result = await runLane(providerVmRealityProof, {
          target: cluster,
          targetName: `reference lab with ${switched}`,
          runId: `${service}-${fault}`,
          workRoot: root,
          log: () => {},
        });
        expectViolation(result, step, property);
      } finally {
        await cluster.faults.clear(service, fault, node);
      }
    });
  }
});
