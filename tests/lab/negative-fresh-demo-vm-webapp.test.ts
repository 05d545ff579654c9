import { describe, expect, it } from 'vitest';
import { freshDemoVmWebapp } from '../../lanes/publishable/fresh-demo-vm-webapp.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import type { LaneResult } from '../../profiles/result-schema.ts';
import { runLaneWithFaults } from './support/negative-lane.ts';

/** the VM-hosting bundle the lane speaks to */
const services: ServiceName[] = ['prismnet', 'plasmavmc', 'lightningstor'];

function expectViolation(result: LaneResult, step: string, property: RegExp): void {
  const why = JSON.stringify(result.failure);
  expect(result.status, why).toBe('failed');
  expect(result.failure?.kind, why).toBe('property');
  expect(result.failure?.stepPath, why).toEqual(['fresh-demo-vm-webapp', step]);
  expect(result.failure?.property, why).toMatch(property);
}

describe('fresh-demo-vm-webapp catches a VM that is not really on its port or does not keep its own state', () => {
  it('fails at the boot step when plasmavmc leaves the VM tap outside the tenant bridge', {
    timeout: 900_000,
  }, async () => {
    const result = await runLaneWithFaults(freshDemoVmWebapp, { faults: ['plasmavmc:tap-not-attached'], services });
    expectViolation(
      result,
      'plasmavmc: the VM boots on node04 attached to its port',
      /^the VM's tap is a port of the tenant network's bridge pn[0-9a-f]{8} on node04$/,
    );
  });

  it('fails at the security-group step when prismnet does not filter traffic forwarded to the VM', {
    timeout: 900_000,
  }, async () => {
    const result = await runLaneWithFaults(freshDemoVmWebapp, { faults: ['prismnet:acl-not-on-forward'], services });
    expectViolation(
      result,
      "prismnet: the port's security group governs the VM's own traffic",
      /^a connection from node05 to the VM's port 8080, which the rules do not allow, gets no answer \(dropped, not refused\)$/,
    );
    expect(result.environment.vm_accelerator_mode).toMatch(/^(kvm|tcg)$/);
  });

  it('fails at the persistence step when lightningstor acknowledges the VM write without storing it', {
    timeout: 900_000,
  }, async () => {
    const result = await runLaneWithFaults(freshDemoVmWebapp, {
      faults: ['lightningstor:drop-object-write'],
      services,
    });
    expectViolation(
      result,
      'state written through the app is persisted to lightningstor by the VM',
      /^lightningstor holds version \S+ of demo-vm-webapp-[0-9a-f]{6}\/vms\/webapp-[0-9a-f]{6}\/state, written from the VM's port address [\d.]+$/,
    );
  });
});
