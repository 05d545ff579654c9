import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';
import { labVmGuest } from '../../lab/target/vm-runner-guest.ts';
import { ultracloudMonorepoDescriptor } from '../../profiles/descriptors/ultracloud-monorepo.ts';
import { LaneResult, SuiteResult } from '../../profiles/result-schema.ts';
import { referenceFlakeCheckout } from './fixtures/reference-checkout.ts';

/**
 * The reference flake playing the monorepo: a git checkout that is a copy of lab/, named by a descriptor of kind
 * ultracloud-monorepo with its VM runners' test key and runner environment. `vitest run tests/publishable` boots
 * its six nodes from `nix/test-cluster#…config.system.build.vm` under real QEMU, reaches SSH, and, with no
 * bindings, ends every lane blocked listing the operations it misses, exit 3.
 */
describe('the monorepo path, on a copy of the reference flake', { timeout: 1_200_000 }, () => {
  let dir: string;
  let checkout: string;
  let descriptorFile: string;

  beforeAll(async () => {
    dir = await workTempDir('monorepo-path-');
    checkout = join(dir, 'ultracloud');
    await referenceFlakeCheckout(checkout);
    const guest = await labVmGuest();
    descriptorFile = join(dir, 'target.json');
    // host ports moved away from the defaults so a kept lab or another run cannot clash
    const d = ultracloudMonorepoDescriptor({ flake: checkout, workRoot: join(dir, 'work') });
    await writeFile(
      descriptorFile,
      JSON.stringify({
        ...d,
        name: 'reference-flake-as-monorepo',
        vm: {
          sshKey: guest.sshKeyPath,
          runnerEnvironment: { ULTRACLOUD_LAB_GUEST_KERNEL: guest.kernel, ULTRACLOUD_LAB_GUEST_INITRD: guest.initrd },
        },
      }),
    );
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('boots the six VM runners and blocks every publishable lane on its missing bindings, exit 3', async () => {
    const work = join(dir, 'work');
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'node_modules/vitest/vitest.mjs'), 'run', 'tests/publishable'],
      {
        cwd: projectRoot,
        env: {
          ...process.env,
          ULTRACLOUD_TARGET_DESCRIPTOR: descriptorFile,
          ULTRACLOUD_WORK_ROOT: work,
          ULTRACLOUD_RUN_ID: 'monorepo-path',
          ULTRACLOUD_SUITE_NAME: 'monorepo-suite',
          VITEST: '',
          VITEST_WORKER_ID: '',
          VITEST_POOL_ID: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output.slice(-4000)).toBe(3);
    const suite = SuiteResult.parse(
      JSON.parse(await readFile(join(work, 'monorepo-suite', 'monorepo-path', 'result.json'), 'utf8')),
    );
    const revision = (await execa('git', ['rev-parse', 'HEAD'], { cwd: checkout })).stdout.trim();
    expect(suite.targets).toEqual([
      {
        name: 'reference-flake-as-monorepo',
        kind: 'ultracloud-monorepo',
        flake: checkout,
        gitRevision: revision,
        bindings: null,
      },
    ]);
    expect(suite.lanes.map((l) => l.lane).sort()).toEqual([
      'chainfire-live-membership-proof',
      'fresh-demo-vm-webapp',
      'fresh-matrix',
      'fresh-smoke',
    ]);
    for (const l of suite.lanes) {
      expect(l.status, l.lane).toBe('blocked');
      const lane = LaneResult.parse(
        JSON.parse(await readFile(join(work, l.lane, 'monorepo-path', 'result.json'), 'utf8')),
      );
      // every operation the lane declares, none bound: listed all at once, before any step ran
      expect(lane.missingRequirements.length, l.lane).toBeGreaterThan(3);
      expect(lane.missingRequirements).toEqual(lane.bindings?.required);
      expect(lane.steps).toEqual([]);
      expect(lane.environment.target_kind).toBe('ultracloud-monorepo');
      expect(lane.environment.target_git_revision).toBe(revision);
      expect(['kvm', 'tcg']).toContain(lane.environment.vm_accelerator_mode);
    }
    // the VMs really booted: each node's serial console shows its boot marker
    for (const n of ['node01', 'node04', 'node06']) {
      const serial = await readFile(join(work, 'test-cluster', 'state', n, 'serial.log'), 'utf8');
      expect(serial, n).toContain(`ULTRACLOUD_MARKER node.boot.${n}`);
    }
  });
});
