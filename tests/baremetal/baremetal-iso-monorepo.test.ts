import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { selectedBaremetalTarget } from '../../harness/baremetal.ts';
import { runLane } from '../../harness/run-lane.ts';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';
import { freeLoopbackPort } from '../../helpers/qemu-hostfwd.ts';
import { labBaremetalDeployer } from '../../lab/target/bindings-module.ts';
import { baremetalIso } from '../../lanes/baremetal/baremetal-iso.ts';
import { propertyOfFailure } from '../../lanes/baremetal/baremetal-markers.ts';
import { buildMonorepoIso, monorepoBaremetalTarget } from '../../targets/monorepo/baremetal-iso.ts';
import { referenceFlakeCheckout } from '../integration/fixtures/reference-checkout.ts';

/**
 * The reference flake playing the monorepo on the bare-metal path: ULTRACLOUD_FLAKE=<a copy of lab/> with the lab's
 * bindings module boots the flake's own ultracloud-iso from CD (no kernel parameter: the installer falls back to
 * 10.0.2.2 and reads its token from fw_cfg), installs the flake's baremetal-qemu-* toplevels, and boots each
 * installed disk by its own boot loader.
 */
describe('baremetal-iso on a copy of the reference flake as the monorepo', { timeout: 30 * 60_000 }, () => {
  let dir: string;
  let checkout: string;
  const bindings = join(projectRoot, 'lab/target/bindings-module.ts');
  beforeAll(async () => {
    dir = await workTempDir('baremetal-monorepo-');
    checkout = await referenceFlakeCheckout(join(dir, 'ultracloud'));
    process.env.ULTRACLOUD_BAREMETAL_SSH_PORTS = `${await freeLoopbackPort()},${await freeLoopbackPort()}`;
  }, 600_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("installs from the flake's own ISO and boots the installed disks by themselves", async () => {
    const env = { ...process.env, ULTRACLOUD_FLAKE: checkout, ULTRACLOUD_BINDINGS: bindings };
    const { target, identity } = await selectedBaremetalTarget(env);
    expect(identity).toMatchObject({ kind: 'ultracloud-monorepo', flake: checkout, bindings });
    const root = join(dir, 'pass');
    const result = await runLane(baremetalIso, { target, targetName: identity.name, workRoot: root, log: () => {} });
    expect(result.status, JSON.stringify(result.failure)).toBe('passed');
    expect(['kvm', 'tcg']).toContain(result.environment.vm_accelerator_mode);
    const proof = join(root, 'baremetal-iso', 'latest');
    const environment = await readFile(join(proof, 'state/environment.txt'), 'utf8');
    // the proof root names the ISO that booted: the flake's own, by store path and content
    const iso = await buildMonorepoIso(checkout);
    expect(iso.startsWith('/nix/store/')).toBe(true);
    expect(environment).toContain(`installer_iso=${iso}`);
    const sha = createHash('sha256')
      .update(await readFile(iso))
      .digest('hex');
    expect(environment).toContain(`installer_iso_sha256=${sha}`);
    for (const node of ['bm-control01', 'bm-worker01']) {
      const console = await readFile(join(proof, 'state/console', `${node}.log`), 'utf8');
      // first boot from the CD's isolinux, then the disk's own extlinux (its banner says SYSLINUX): no -kernel for either
      expect(console, node).toMatch(
        /ISOLINUX[\s\S]*pre-install\.boot[\s\S]*reboot\.[\s\S]*SYSLINUX[\s\S]*post-install\.boot/,
      );
    }
  });

  test('a deployer refusing phone-home fails the install at phone home', async () => {
    const sshPorts = `${await freeLoopbackPort()},${await freeLoopbackPort()}`;
    process.env.ULTRACLOUD_BAREMETAL_SSH_PORTS = sshPorts;
    const target = monorepoBaremetalTarget(checkout, { deployer: labBaremetalDeployer(['refuse-phone-home']) });
    const result = await runLane(baremetalIso, {
      target,
      targetName: 'reference-flake-as-monorepo',
      workRoot: join(dir, 'refuse'),
      log: () => {},
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.property).toBe(propertyOfFailure('install.failed.phone-home.x'));
    expect(result.failure?.stepPath.join(' › ')).toMatch(/install bm-\S+ .* › phone home to the deployer$/);
    expect(result.failure?.message).toMatch(/install\.failed\.phone-home\.bm-.*403/);
  });

  test('without a deployer binding the lane is blocked, naming it', async () => {
    const { target } = await selectedBaremetalTarget({ ...process.env, ULTRACLOUD_FLAKE: checkout });
    const result = await runLane(baremetalIso, {
      target,
      targetName: 'reference-flake-as-monorepo',
      workRoot: join(dir, 'blocked'),
      log: () => {},
    });
    expect(result.status).toBe('blocked');
    expect(result.missingRequirements.join(' ')).toMatch(/a bindings module exporting baremetalDeployer/);
  });
});
