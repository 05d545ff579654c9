import { describe, expect, it } from 'vitest';
import { freshDemoVmWebapp } from '../../lanes/publishable/fresh-demo-vm-webapp.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import type { LaneResult } from '../../profiles/result-schema.ts';
import { runLaneWithFaults } from './support/negative-lane.ts';

/** the VM-hosting bundle the lane speaks to */
const services: ServiceName[] = ['prismnet', 'plasmavmc', 'lightningstor'];
const persistenceStep = 'restarted, the VM serves the state persisted in lightningstor';

function expectViolation(result: LaneResult, property: RegExp): void {
  const why = JSON.stringify(result.failure);
  expect(result.status, why).toBe('failed');
  expect(result.failure?.kind, why).toBe('property');
  expect(result.failure?.stepPath, why).toEqual(['fresh-demo-vm-webapp', persistenceStep]);
  expect(result.failure?.property, why).toMatch(property);
}

describe('fresh-demo-vm-webapp catches lost VM state', () => {
  it('fails at the persistence step when the VM disk is lost on restart', { timeout: 900_000 }, async () => {
    const result = await runLaneWithFaults(freshDemoVmWebapp, {
      faults: ['plasmavmc:lose-disk-on-restart'],
      services,
    });
    expectViolation(result, /^the restarted VM serves the state persisted in lightningstor$/);
    expect(result.environment.vm_accelerator_mode).toMatch(/^(kvm|tcg)$/);
  });

  it('fails at the persistence step when lightningstor loses an object version', { timeout: 900_000 }, async () => {
    const result = await runLaneWithFaults(freshDemoVmWebapp, {
      faults: ['lightningstor:lose-object-version'],
      services,
    });
    expectViolation(result, /^both persisted state versions are listed$/);
  });
});
