import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { freshMatrix } from '../../lanes/publishable/fresh-matrix.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import type { LaneResult } from '../../profiles/result-schema.ts';
import { type StartedLab, startLab } from './support/lab.ts';
import { runLaneWithFaults } from './support/negative-lane.ts';

/** the services fresh-matrix speaks to: the rest of the six-node harness is not booted for these tests */
const services: ServiceName[] = [
  'prismnet',
  'fiberlb',
  'flashdns',
  'plasmavmc',
  'lightningstor',
  'coronafs',
  'k8shost',
  'nightlight',
  'creditservice',
  'apigateway',
];

function expectViolation(result: LaneResult, step: string, property: RegExp): void {
  const why = JSON.stringify(result.failure);
  expect(result.status, why).toBe('failed');
  expect(result.failure?.kind, why).toBe('property');
  expect(result.failure?.stepPath, why).toEqual(['fresh-matrix', step]);
  expect(result.failure?.property, why).toMatch(property);
}

describe('fresh-matrix catches a broken provider bundle (a faulted lab of its own per fault)', () => {
  it('fails at the ACL removal when a removed rule keeps blocking traffic', { timeout: 600_000 }, async () => {
    const result = await runLaneWithFaults(freshMatrix, { faults: ['prismnet:acl-remove-noop'], services });
    expectViolation(
      result,
      'prismnet: removing the ACL rule lets the same traffic flow again',
      /^a TCP connection from node05 to the port flows after the ACL rule is removed$/,
    );
  });

  it('fails at the TLS listeners when they present the wrong certificate', { timeout: 600_000 }, async () => {
    const result = await runLaneWithFaults(freshMatrix, { faults: ['fiberlb:wrong-certificate'], services });
    expectViolation(
      result,
      'fiberlb: Https and TerminatedHttps listeners terminate TLS with the uploaded certificate; only Https rewrites the request at L7',
      /^https listener presents a certificate whose subject is lb\.m[0-9a-f]{6}\.fresh-matrix\.lab$/,
    );
  });

  it('fails at the object versions when an older version is lost', { timeout: 600_000 }, async () => {
    const result = await runLaneWithFaults(freshMatrix, { faults: ['lightningstor:lose-object-version'], services });
    expectViolation(
      result,
      'lightningstor: an object put twice keeps two versions, both readable by version id',
      /^both object versions are listed$/,
    );
  });
});

/** Faults switched on at run time in one lab; the lane cleans up after each failed run, so the lab is reused. */
const runtimeFaults: Array<[service: ServiceName, fault: string, step: string, property: RegExp]> = [
  [
    'prismnet',
    'acl-add-noop',
    "prismnet: an added ACL deny rule drops the client's TCP connection; what the rule does not name still passes",
    /^a TCP connection from node05 to port 8080 gets no answer after the deny rule is added \(dropped, not refused\)$/,
  ],
  [
    'prismnet',
    'acl-deny-rejects',
    "prismnet: an added ACL deny rule drops the client's TCP connection; what the rule does not name still passes",
    /^a TCP connection from node05 to port 8080 gets no answer after the deny rule is added \(dropped, not refused\)$/,
  ],
  [
    'prismnet',
    'acl-rule-ignores-match',
    "prismnet: an added ACL deny rule drops the client's TCP connection; what the rule does not name still passes",
    /^the backend on port 8080 still answers a source the rule does not name \(node04 itself\)$/,
  ],
  [
    'fiberlb',
    'drain-ignored',
    'fiberlb: a drained backend gets no new connections; restored, traffic re-converges',
    /^after the drain only m-[0-9a-f]{6}-b answers$/,
  ],
  [
    'fiberlb',
    'terminated-https-as-https',
    'fiberlb: Https and TerminatedHttps listeners terminate TLS with the uploaded certificate; only Https rewrites the request at L7',
    /^the terminated-https listener relays the decrypted request unaltered: its backend receives no X-Forwarded-\* header$/,
  ],
  [
    'coronafs',
    'snapshot-follows-volume',
    'coronafs: a snapshot holds the volume as it was when taken; later writes do not change it',
    /^a write to the volume after the snapshot does not change the snapshot$/,
  ],
  [
    'coronafs',
    'export-live-volume',
    'coronafs + lightningstor: CoronaFS on node04 ships a snapshot into LightningStor itself; a volume restored from that object on node05 holds what node04 wrote',
    /^the volume restored on node05, read on node05, holds the volume exactly as node04 had written it when the snapshot was taken$/,
  ],
  [
    'coronafs',
    'restore-ignores-object',
    'coronafs + lightningstor: CoronaFS on node04 ships a snapshot into LightningStor itself; a volume restored from that object on node05 holds what node04 wrote',
    /^the volume restored on node05, read on node05, holds the volume exactly as node04 had written it when the snapshot was taken$/,
  ],
  [
    'coronafs',
    'export-follows-volume',
    'coronafs + lightningstor: CoronaFS on node04 ships a snapshot into LightningStor itself; a volume restored from that object on node05 holds what node04 wrote',
    /^a write to the volume after the export does not change the snapshot object: still one version, its bytes unchanged$/,
  ],
  [
    'lightningstor',
    'writer-not-recorded',
    'coronafs + lightningstor: CoronaFS on node04 ships a snapshot into LightningStor itself; a volume restored from that object on node05 holds what node04 wrote',
    /^LightningStor recorded the snapshot object as written from node04 \(10\.\d+\.\d+\.14\), the CoronaFS node$/,
  ],
  [
    'flashdns',
    'stale-answers',
    "flashdns: a record added through the API is answered authoritatively with the LB's address",
    /^lb\.m[0-9a-f]{6}\.fresh-matrix\.lab A is answered on the wire$/,
  ],
  [
    'plasmavmc',
    'advertise-extra-hypervisor',
    'plasmavmc: worker registrations advertise exactly HYPERVISOR_TYPE_KVM',
    /^node04 advertises exactly HYPERVISOR_TYPE_KVM$/,
  ],
  [
    'k8shost',
    'watch-drops-events',
    'k8shost: a pod watch delivers ADDED, MODIFIED, DELETED in order and resumes',
    /^the watch delivers ADDED, MODIFIED, DELETED for the pod, in order$/,
  ],
  [
    'creditservice',
    'quota-not-enforced',
    'creditservice: quota, wallet and reservation flows keep balances right',
    /^a reservation over the vcpu quota is rejected$/,
  ],
  [
    'creditservice',
    'double-spend',
    'creditservice: quota, wallet and reservation flows keep balances right',
    /^a repeated commit is idempotent: charged once$/,
  ],
  [
    'lightningstor',
    'deleted-still-listed',
    'lightningstor: a deleted object is not listed and not served; its older version stays readable by version id',
    /^the deleted object is not listed among the bucket's current objects$/,
  ],
  [
    'lightningstor',
    'deleted-still-served',
    'lightningstor: a deleted object is not listed and not served; its older version stays readable by version id',
    /^a read of the deleted object without a version id is not served \(404\)$/,
  ],
  [
    'creditservice',
    'idempotency-replay-doubles',
    "creditservice: a replayed reservation does not hold its amount twice, and another tenant's same key is not a replay",
    /^the replay does not hold the amount again: balance and held unchanged$/,
  ],
  [
    'creditservice',
    'idempotency-key-global',
    "creditservice: a replayed reservation does not hold its amount twice, and another tenant's same key is not a replay",
    /^the same key from another tenant is not a replay of the first tenant's reservation$/,
  ],
  [
    'creditservice',
    'quota-admits-one-over',
    'creditservice: a reservation exactly at the quota limit is accepted; one unit over is not',
    /^a reservation one unit over the limit \(5 of 4\) is rejected with 429$/,
  ],
  [
    'creditservice',
    'quota-rejects-at-limit',
    'creditservice: a reservation exactly at the quota limit is accepted; one unit over is not',
    /^a reservation that brings usage exactly to the limit \(4 of 4\) is accepted$/,
  ],
  [
    'apigateway',
    'restart-noop',
    'apigateway: the creditservice calls through the gateway with an API key; no key, refused',
    /^apigateway on node06 runs in a new process after its restart$/,
  ],
  [
    'apigateway',
    'skip-auth',
    'apigateway: the creditservice calls through the gateway with an API key; no key, refused',
    /^a request without an API key is refused with 401$/,
  ],
];

describe('fresh-matrix names the step and property each fault breaks (one lab, faults switched at run time)', () => {
  let lab: StartedLab | undefined;
  let root = '';
  beforeAll(async () => {
    root = await workTempDir('ucp-negative-fresh-matrix-');
    lab = await startLab({ services, workRoot: join(root, 'lab') });
  }, 300_000);
  afterAll(async () => {
    await lab?.dispose();
    await rm(root, { recursive: true, force: true });
  }, 120_000);

  for (const [service, fault, step, property] of runtimeFaults) {
    it(`${service}:${fault} fails "${step}"`, { timeout: 300_000 }, async () => {
      const cluster = (lab as StartedLab).cluster;
      await cluster.faults.set(service, fault);
      try {
        const result = await runLane(freshMatrix, {
          target: cluster,
          targetName: `reference lab with ${service}:${fault}`,
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
