import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { freeLoopbackPort } from '../../helpers/qemu-hostfwd.ts';
import { type LabBaremetalOptions, labBaremetalTarget } from '../../lab/baremetal/lab-baremetal-target.ts';
import { baremetalIso } from '../../lanes/baremetal/baremetal-iso.ts';
import { propertyOfFailure } from '../../lanes/baremetal/baremetal-markers.ts';

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
});
