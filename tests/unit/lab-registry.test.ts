import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const registry = mkdtempSync(join(tmpdir(), 'ucp-registry-'));
process.env.ULTRACLOUD_LAB_REGISTRY = registry;
const { allocateLab, bridgeName, labAddressRange, listLabs, releaseLab, subnetOf } = await import(
  '../../lab/cluster/lab-registry.ts'
);

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

  it('lie in a lab range whose CIDR blocks cover every slot and nothing beyond', () => {
    expect(labAddressRange()).toEqual([
      '10.200.0.0/13',
      '10.208.0.0/12',
      '10.224.0.0/12',
      '10.240.0.0/13',
      '10.248.0.0/15',
    ]);
    const u32 = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const blocks = labAddressRange().map((b) => {
      const [base, len] = b.split('/') as [string, string];
      return { start: u32(base), size: 2 ** (32 - Number(len)) };
    });
    const covered = (a: string) => blocks.some((b) => u32(a) >= b.start && u32(a) < b.start + b.size);
    expect(blocks.reduce((n, b) => n + b.size, 0)).toBe(50 * 256 * 256);
    for (const slot of [0, 1, 255, 256, 2047, 2048, 6143, 6144, 10239, 10240, 12287, 12288, 50 * 256 - 1]) {
      expect(covered(subnetOf(slot).gateway)).toBe(true);
      expect(covered(`${subnetOf(slot).prefix}.255`)).toBe(true);
    }
    for (const outside of ['10.199.255.255', '10.250.0.0', '10.0.0.1', '127.0.0.1', '192.168.0.1']) {
      expect(covered(outside)).toBe(false);
    }
  });
});
