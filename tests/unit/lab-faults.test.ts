import { describe, expect, it } from 'vitest';
import { loadFaultCatalogue, parseFaultList, validateFaults } from '../../lab/cluster/fault-catalogue.ts';
import type { LabNodeSpec } from '../../lab/cluster/lab-spec.ts';

const nodes: LabNodeSpec[] = [
  { name: 'node01', role: 'control-plane', services: ['chainfire'] },
  { name: 'node04', role: 'worker', services: ['node-agent'] },
];

describe('ULTRACLOUD_LAB_FAULTS', () => {
  it('parses service:fault[@node] lists', () => {
    expect(parseFaultList(' chainfire:stale-serializable-read, chainfire:learner-never-catches-up@node01 ')).toEqual([
      { service: 'chainfire', fault: 'stale-serializable-read' },
      { service: 'chainfire', fault: 'learner-never-catches-up', node: 'node01' },
    ]);
    expect(parseFaultList('')).toEqual([]);
    expect(parseFaultList(undefined)).toEqual([]);
  });

  it('names a malformed entry and an unknown service', () => {
    expect(() => parseFaultList('chainfire')).toThrow(
      'ULTRACLOUD_LAB_FAULTS: "chainfire" is not <service>:<fault>[@<node>]',
    );
    expect(() => parseFaultList('etcd:slow')).toThrow(
      /unknown service "etcd" in "etcd:slow"; known: chainfire, flaredb/,
    );
  });

  it('names an unknown fault with the faults the service knows', async () => {
    await expect(validateFaults([{ service: 'chainfire', fault: 'split-brain' }], nodes)).rejects.toThrow(
      'unknown fault "split-brain" for service "chainfire"; known: learner-never-catches-up, stale-serializable-read, stale-linearizable-read, leader-transfer-noop',
    );
  });

  it('names a node that does not run the service, and a service no node runs', async () => {
    await expect(
      validateFaults([{ service: 'chainfire', fault: 'stale-serializable-read', node: 'node04' }], nodes),
    ).rejects.toThrow('node "node04" does not run "chainfire"');
    await expect(validateFaults([{ service: 'flaredb', fault: 'anything' }], nodes)).rejects.toThrow(
      'no lab node runs service "flaredb"',
    );
  });

  it('accepts a known fault, and every chainfire fault names the property it breaks', async () => {
    await expect(
      validateFaults([{ service: 'chainfire', fault: 'leader-transfer-noop', node: 'node01' }], nodes),
    ).resolves.toBeUndefined();
    const catalogue = await loadFaultCatalogue('chainfire');
    expect(Object.keys(catalogue)).toEqual([
      'learner-never-catches-up',
      'stale-serializable-read',
      'stale-linearizable-read',
      'leader-transfer-noop',
    ]);
    for (const f of Object.values(catalogue)) expect(f.breaks.length).toBeGreaterThan(20);
  });
});
