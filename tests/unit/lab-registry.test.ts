import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const registry = mkdtempSync(join(tmpdir(), 'ucp-registry-'));
process.env.ULTRACLOUD_LAB_REGISTRY = registry;
const { allocateLab, bridgeName, listLabs, releaseLab, subnetOf } = await import('../../lab/cluster/lab-registry.ts');

afterAll(() => rmSync(registry, { recursive: true, force: true }));

describe('lab slots', () => {
  it('map each slot to its own private /24 and the bridge name to the lab id', () => {
    expect(subnetOf(0)).toEqual({ prefix: '10.200.0', gateway: '10.200.0.1', cidr: '10.200.0.0/24' });
    expect(subnetOf(257).cidr).toBe('10.201.1.0/24');
    expect(subnetOf(50 * 256 - 1).cidr).toBe('10.249.255.0/24');
    expect(bridgeName('a1b2c3')).toBe('ucb-a1b2c3');
  });

  it('are claimed exclusively and released', async () => {
    const labs = await Promise.all(Array.from({ length: 20 }, () => allocateLab((id) => `/tmp/lab-${id}`)));
    expect(new Set(labs.map((l) => l.slot)).size).toBe(20);
    expect(new Set(labs.map((l) => l.labId)).size).toBe(20);
    expect(
      listLabs()
        .map((l) => l.labId)
        .sort(),
    ).toEqual(labs.map((l) => l.labId).sort());
    for (const l of labs) expect(l.pid).toBe(process.pid);
    for (const l of labs) releaseLab(l);
    expect(readdirSync(registry)).toEqual([]);
  });
});
