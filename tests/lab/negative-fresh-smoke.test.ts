import { describe, expect, it } from 'vitest';
import { freshSmoke } from '../../lanes/publishable/fresh-smoke.ts';
import { runLaneWithFaults } from './support/negative-lane.ts';

describe('fresh-smoke catches a broken worker contract and broken maintenance', () => {
  it('fails when a worker advertises a hypervisor beyond KVM', { timeout: 300_000 }, async () => {
    const result = await runLaneWithFaults(freshSmoke, { faults: ['plasmavmc:advertise-extra-hypervisor@node05'] });
    expect(result.status, JSON.stringify(result.failure)).toBe('failed');
    expect(result.failure?.kind, result.failure?.message).toBe('property');
    expect(result.failure?.stepPath.at(-1), result.failure?.message).toBe(
      'both worker registrations advertise HYPERVISOR_TYPE_KVM and nothing broader',
    );
    expect(result.failure?.property, result.failure?.message).toBe('node05 advertises exactly HYPERVISOR_TYPE_KVM');
  });

  it('fails when replicas are never restored after maintenance', { timeout: 300_000 }, async () => {
    const result = await runLaneWithFaults(freshSmoke, { faults: ['fleet-scheduler:drain-never-restores'] });
    expect(result.status, JSON.stringify(result.failure)).toBe('failed');
    expect(result.failure?.stepPath.at(-1), result.failure?.message).toBe(
      'maintenance: node05 goes active → draining → active',
    );
    expect(result.failure?.property, result.failure?.message).toBe(
      'replicas are restored onto node05 after maintenance',
    );
  });
});
