import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedQuickstartTarget } from '../../harness/quickstart.ts';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { labVmGuest } from '../../lab/target/vm-runner-guest.ts';
import { quickstartLane } from '../../lanes/quickstart/single-node-quickstart.ts';
import { ultracloudMonorepoDescriptor } from '../../profiles/descriptors/ultracloud-monorepo.ts';
import { referenceFlakeCheckout } from './fixtures/reference-checkout.ts';

/**
 * The quickstart lane on the monorepo path, with a copy of the reference flake as the checkout: the lane boots the
 * checkout's own `nixosConfigurations.single-node-quickstart` runner (here with the lab's plain VM-runner guest,
 * which has no systemd), reaches the guest over SSH and asks systemd inside it for each service's health.
 */
describe('single-node-quickstart on the monorepo path', { timeout: 600_000 }, () => {
  let dir: string;
  let checkout: string;
  const descriptor = async (name: string, vm?: object) => {
    const file = join(dir, `${name}.json`);
    const d = ultracloudMonorepoDescriptor({ flake: checkout, workRoot: join(dir, 'work') });
    await writeFile(file, JSON.stringify({ ...d, name, ...(vm ? { vm } : {}) }));
    return file;
  };
  const run = async (file: string) =>
    runLane(quickstartLane('single-node-quickstart', { markerTimeoutMs: 120_000, healthTimeoutMs: 10_000 }), {
      target: await selectedQuickstartTarget({
        ...process.env,
        ULTRACLOUD_TARGET_DESCRIPTOR: file,
        ULTRACLOUD_VM_SSH_KEY: '',
      }),
      targetName: 'monorepo-copy',
      workRoot: join(dir, 'work'),
      log: () => {},
    });

  beforeAll(async () => {
    dir = await workTempDir('monorepo-quickstart-');
    checkout = join(dir, 'ultracloud');
    await referenceFlakeCheckout(checkout);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('without an SSH key for the guest the lane is blocked, naming ULTRACLOUD_VM_SSH_KEY', async () => {
    const result = await run(await descriptor('no-key'));
    expect(result.status).toBe('blocked');
    expect(result.missingRequirements.join(' ')).toMatch(/^ULTRACLOUD_VM_SSH_KEY: .*single-node-quickstart/);
  });

  it("boots the checkout's own runner and asks systemd inside the guest for each service", async () => {
    const guest = await labVmGuest();
    const file = await descriptor('with-key', {
      sshKey: guest.sshKeyPath,
      runnerEnvironment: { ULTRACLOUD_LAB_GUEST_KERNEL: guest.kernel, ULTRACLOUD_LAB_GUEST_INITRD: guest.initrd },
    });
    const result = await run(file);
    const steps = Object.fromEntries(result.steps.map((s) => [s.path.at(-1), s.status]));
    expect(steps['the console shows node.boot.single-node-quickstart within 120 s'], JSON.stringify(result.steps)).toBe(
      'passed',
    );
    expect(steps['SSH reaches the guest within 120 s: its own boot and hostname, not the host']).toBe('passed');
    // the plain guest runs no systemd: the lane fails at health, having asked it, and the VM is stopped
    expect(result.status).toBe('failed');
    expect(result.failure?.property).toBe("chainfire answers healthy on the guest's loopback");
    expect(result.failure?.message).toContain('systemctl is-active chainfire.service');
    expect(steps['undo: stop the quickstart VM, or keep it as asked']).toBe('passed');
  });
});
