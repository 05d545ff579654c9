import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { freeLoopbackPort } from '../../helpers/qemu-hostfwd.ts';
import { type LabBaremetalOptions, labBaremetalTarget } from '../../lab/baremetal/lab-baremetal-target.ts';
import { baremetalIso } from '../../lanes/baremetal/baremetal-iso.ts';
import { markerOrderProperty, propertyOfFailure } from '../../lanes/baremetal/baremetal-markers.ts';

// The lane must catch what it exists to catch, fast: a failure marker ends it at once with the broken property
// named, never a timeout.
const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function runFaulted(options: LabBaremetalOptions) {
  const root = await workTempDir('baremetal-faults-');
  roots.push(root);
  const sshPorts = { control: await freeLoopbackPort(), worker: await freeLoopbackPort() };
  return runLane(baremetalIso, {
    target: labBaremetalTarget({ ...options, sshPorts }),
    targetName: 'reference-lab',
    workRoot: root,
    log: () => {},
  });
}

describe('baremetal-iso under faults', { timeout: 10 * 60_000 }, () => {
  test('an installer whose bootstrap token the deployer refuses fails at phone-home', async () => {
    const result = await runFaulted({ installerToken: 'stale-bootstrap-token-0000' });
    expect(result.status).toBe('failed');
    expect(result.failure?.kind).toBe('property');
    expect(result.failure?.property).toBe(propertyOfFailure('install.failed.phone-home.x'));
    expect(result.failure?.stepPath.join(' › ')).toMatch(/install bm-\S+ .* › phone home to the deployer$/);
    expect(result.failure?.message).toMatch(/install\.failed\.phone-home\.bm-.*401/);
    expect(JSON.stringify(result)).not.toContain('stale-bootstrap-token-0000');
  });

  test('an install plan whose disk selector names no disk fails at Disko', async () => {
    const result = await runFaulted({ targetDiskOverride: '/dev/disk/by-id/virtio-uc-missing-root' });
    expect(result.status).toBe('failed');
    expect(result.failure?.kind).toBe('property');
    expect(result.failure?.property).toBe(propertyOfFailure('install.failed.disko.x'));
    expect(result.failure?.stepPath.at(-1)).toMatch(/^run Disko on /);
    expect(result.failure?.message).toMatch(/install\.failed\.disko\.bm-.*virtio-uc-missing-root does not exist/);
  });

  test('a deployer serving other bytes than it records fails the provenance check of the installed disk', async () => {
    const result = await runFaulted({ deployerFaults: ['serve-altered-bundle'] });
    expect(result.status).toBe('failed');
    expect(result.failure?.kind).toBe('property');
    expect(result.failure?.stepPath.join(' › ')).toBe('baremetal-iso › log in over SSH on the installed nodes');
    expect(result.failure?.property).toMatch(
      /^bm-\S+ was installed from the bundle the deployer served it \(the sha256 on its disk is the deployer's\)$/,
    );
    const [, onDisk, served] =
      /on disk ([0-9a-f]{64}); served ([0-9a-f]{64})/.exec(result.failure?.message ?? '') ?? [];
    expect(onDisk).toBeDefined();
    expect(onDisk).not.toBe(served);
  });

  test('an installer that partitions the first disk instead of the by-id one fails the disk read-back', async () => {
    const result = await runFaulted({ installerFaults: ['partition-first-disk'] });
    expect(result.status).toBe('failed');
    expect(result.failure?.kind).toBe('property');
    expect(result.failure?.stepPath.join(' › ')).toMatch(
      /^baremetal-iso › install bm-\S+ .* › read back (bm-\S+)'s disks from their images$/,
    );
    expect(result.failure?.property).toMatch(
      /^\/dev\/disk\/by-id\/virtio-uc-\S+-root carries Disko's dos partition table with one ext2 partition labelled "nixos"$/,
    );
    expect(result.failure?.message).toMatch(/no partition table, no signature/);
  });

  test('an installer printing install.disko.complete before install.bundle-downloaded fails on the marker order', async () => {
    const result = await runFaulted({ installerFaults: ['markers-out-of-order'] });
    expect(result.status).toBe('failed');
    expect(result.failure?.kind).toBe('property');
    expect(result.failure?.property).toBe(markerOrderProperty);
    expect(result.failure?.stepPath.join(' › ')).toMatch(
      /^baremetal-iso › install bm-\S+ .* › download the flake bundle$/,
    );
    expect(result.failure?.message).toMatch(
      /marker "install\.disko\.complete\.(bm-\S+)" came early: .* while "install\.bundle-downloaded\.\1", which precedes it/,
    );
  });
});
