import { describe, expect, it } from 'vitest';
import { freshSmoke } from '../../lanes/publishable/fresh-smoke.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';
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

/**
 * Faults that strike the running cluster, one run after another in the file's lab (tests/lab/support/negative-lane.ts),
 * restored to its booted snapshot before each run and the fault switched on once it is up: what a failed run leaves
 * behind (a service inside the maintenance step) never reaches the next.
 */
const runtimeFaults: Array<
  [service: ServiceName, fault: string, node: string | undefined, step: string, property: string | RegExp]
> = [
  [
    'chainfire',
    'stale-linearizable-read',
    undefined,
    'chainfire: a write on one voter is read linearizably on every other',
    /^chainfire on node0[23] reads the write smoke-\d at its revision$/,
  ],
  [
    'iam',
    'secret-prefix-match',
    undefined,
    'iam: a secret that is almost right is refused; a tenant token performs no admin action',
    'iam refuses a token for the secret with its last character changed (401)',
  ],
  [
    'iam',
    'non-admin-admitted',
    undefined,
    'iam: a secret that is almost right is refused; a tenant token performs no admin action',
    'a tenant token cannot create a principal (403)',
  ],
  [
    'node-agent',
    'heartbeat-stall',
    'node05',
    "fleet-scheduler receives both workers' heartbeats: their timestamps advance",
    'fleet-scheduler records a later heartbeat from node05',
  ],
  [
    'fleet-scheduler',
    'ignore-deployer-services',
    undefined,
    'deployer → fleet-scheduler → node-agent: a service applied through the deployer is placed and run by node-agents',
    'node-agents run 2 instances of cluster-smoke, the service applied through the deployer',
  ],
  [
    'k8shost',
    'pods-as-host-services',
    undefined,
    'k8shost: tenant pods and services, separate from host services',
    'tenant pods are not fleet-scheduler host services: no host service or placement is named after a pod',
  ],
  [
    'plasmavmc',
    'advertise-extra-hypervisor',
    'node05',
    'both worker registrations advertise HYPERVISOR_TYPE_KVM and nothing broader',
    'node05 advertises exactly HYPERVISOR_TYPE_KVM',
  ],
  [
    'fleet-scheduler',
    'drain-never-restores',
    undefined,
    'maintenance: node05 goes active → draining → active',
    'replicas are restored onto node05 after maintenance',
  ],
];

describe('fresh-smoke names the step and property each fault breaks (one lab, restored before each run)', () => {
  for (const [service, fault, node, step, property] of runtimeFaults) {
    const name = `${service}:${fault}${node ? `@${node}` : ''}`;
    it(`${name} fails "${step}"`, { timeout: 600_000 }, async () => {
      const result = await runLaneWithFaults(freshSmoke, { faults: [name], faultsAt: 'run' });
      expectViolation(result, step, property);
      expect(result.startShape?.canonical, 'the run started from the canonical shape').toBe(true);
    });
  }
});
