import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployerPort } from '../../contracts/ports/deployer.ts';
import { createDeployerPort } from '../../lab/target/bindings/deployer.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

const token = `bt-${randomBytes(12).toString('hex')}`;
const controlPlanePlan = {
  nixos_configuration: 'baremetal-qemu-control-plane',
  disko_config_path: 'nix/disko/control-plane.sh',
  target_disk_by_id: '/dev/disk/by-id/virtio-uc-control-root',
};
const serial = 'UC-SERIAL-0001';
const phoneHome = { node_id: serial, hostname: 'cp-1', disks_by_id: [controlPlanePlan.target_disk_by_id] };

describe('deployer lab service', () => {
  let svc: LabServiceProcess;
  let deployer: DeployerPort;

  beforeAll(async () => {
    svc = await LabServiceProcess.start({ service: 'deployer', env: { UCP_DEPLOYER_BOOTSTRAP_TOKEN: token } });
    deployer = createDeployerPort(svc.binding());
    await deployer.putClass('control-plane', {
      install_plan: controlPlanePlan,
      desired_system: { target_system: '/nix/store/aaaa-nixos-system-cp' },
    });
  }, 60_000);
  afterAll(async () => {
    await svc?.dispose();
  }, 60_000);

  it('answers phone-home with the install plan only for the bootstrap token, and never logs the token', async () => {
    await deployer.preregister({ node_id: serial, node_class: 'control-plane', hostname: 'cp-1' });
    await expect(deployer.phoneHome(phoneHome, null)).rejects.toThrow(/401/);
    await expect(deployer.phoneHome(phoneHome, 'wrong-token')).rejects.toThrow(/401.*invalid bootstrap token/);
    const plan = await deployer.phoneHome(phoneHome, token);
    expect(plan).toMatchObject({
      ...controlPlanePlan,
      node_class: 'control-plane',
      target_disk_present: true,
      desired_system: { target_system: '/nix/store/aaaa-nixos-system-cp' },
    });
    await expect(deployer.phoneHome({ ...phoneHome, node_id: 'UNKNOWN' }, token)).rejects.toThrow(
      /404.*not pre-registered/,
    );
    expect((await deployer.inspect(serial))?.phone_home?.disks_by_id).toEqual(phoneHome.disks_by_id);
    expect(svc.output).not.toContain(token);
  });

  it('accepts an issued bootstrap token until it is revoked', async () => {
    const issued = await deployer.issueBootstrapToken();
    expect((await deployer.phoneHome(phoneHome, issued.token)).node_id).toBe(serial);
    await deployer.revokeBootstrapToken(issued.id);
    await expect(deployer.phoneHome(phoneHome, issued.token)).rejects.toThrow(/401/);
    expect(svc.output).not.toContain(issued.token);
  });

  it('serves the class flake bundle as a real tar.gz holding the disko config', async () => {
    const bytes = await deployer.downloadBundle('control-plane', token);
    const dir = await mkdtemp(join(tmpdir(), 'ucp-bundle-'));
    try {
      await writeFile(join(dir, 'b.tar.gz'), bytes);
      await execa('tar', ['-xzf', join(dir, 'b.tar.gz'), '-C', dir]);
      expect(await readFile(join(dir, controlPlanePlan.disko_config_path), 'utf8')).toMatch(/DISKO_FSTYPE/);
      expect(JSON.parse(await readFile(join(dir, 'install-plan.json'), 'utf8'))).toMatchObject(controlPlanePlan);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await expect(deployer.downloadBundle('control-plane', null)).rejects.toThrow(/401/);
  });

  it('records every bundle it serves with the sha256 of the bytes served; a refused download is not recorded', async () => {
    const before = (await deployer.bundleFetches()).length;
    const bytes = await deployer.downloadBundle('control-plane', token);
    await expect(deployer.downloadBundle('control-plane', null)).rejects.toThrow(/401/);
    const fetches = await deployer.bundleFetches();
    expect(fetches).toHaveLength(before + 1);
    expect(fetches.at(-1)).toMatchObject({
      node_id: null,
      node_class: 'control-plane',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
    });
  });

  it('replays a pre-register request idempotently and refuses a conflicting one', async () => {
    const again = await deployer.preregister({ node_id: serial, node_class: 'control-plane', hostname: 'cp-1' });
    expect(again.created).toBe(false);
    expect((await deployer.nodes()).filter((n) => n.node_id === serial)).toHaveLength(1);
    await expect(
      deployer.preregister({ node_id: serial, node_class: 'control-plane', hostname: 'other' }),
    ).rejects.toThrow(/409/);
    await expect(deployer.preregister({ node_id: 'x', node_class: 'nope' })).rejects.toThrow(/422.*unknown node class/);
  });

  it('publishes desired systems with new generations and records observed status', async () => {
    const first = await deployer.publishDesiredSystem(serial, {
      target_system: '/nix/store/bbbb-nixos-system-cp',
      health_check_command: 'true',
    });
    const second = await deployer.publishDesiredSystem(serial, { target_system: '/nix/store/cccc-nixos-system-cp' });
    expect(second.generation).toBeGreaterThan(first.generation);
    expect(await deployer.desiredSystem(serial)).toMatchObject({ target_system: '/nix/store/cccc-nixos-system-cp' });
    await deployer.reportStatus(serial, { observed: 'active', generation: second.generation });
    expect((await deployer.inspect(serial))?.observed).toMatchObject({
      observed: 'active',
      generation: second.generation,
    });
  });

  it('keeps classes, pre-registered nodes and status across a restart and a SIGKILL', async () => {
    await svc.restart();
    expect((await deployer.inspect(serial))?.observed?.observed).toBe('active');
    await svc.kill();
    await svc.launch();
    expect((await deployer.nodes()).map((n) => n.node_id)).toEqual([serial]);
    expect((await deployer.classes()).map((c) => c.name)).toEqual(['control-plane']);
  });

  it('fault refuse-phone-home answers 403 to a valid token', async () => {
    await svc.setFaults({ 'refuse-phone-home': true });
    await expect(deployer.phoneHome(phoneHome, token)).rejects.toThrow(/403/);
    await svc.setFaults({});
  });

  it('fault accept-any-token lets a wrong token phone home', async () => {
    await svc.setFaults({ 'accept-any-token': true });
    expect((await deployer.phoneHome(phoneHome, 'wrong-token')).node_id).toBe(serial);
    await svc.setFaults({});
  });

  it('fault non-idempotent-preregister duplicates a replayed node', async () => {
    await svc.setFaults({ 'non-idempotent-preregister': true });
    expect(
      (await deployer.preregister({ node_id: serial, node_class: 'control-plane', hostname: 'cp-1' })).created,
    ).toBe(true);
    await svc.setFaults({});
    expect((await deployer.nodes()).filter((n) => n.node_id === serial)).toHaveLength(2);
  });

  it('fault forget-preregistered-on-restart loses pre-registered nodes', async () => {
    await svc.setFaults({ 'forget-preregistered-on-restart': true });
    await svc.restart();
    expect(await deployer.inspect(serial)).toBeNull();
    await svc.setFaults({});
  });

  it('lab mode allow_unauthenticated accepts phone-home without a token; bad config is named', async () => {
    const open = await LabServiceProcess.start({
      service: 'deployer',
      node: 'node02',
      env: { UCP_DEPLOYER_ALLOW_UNAUTHENTICATED: 'true' },
    });
    try {
      const port = createDeployerPort(open.binding());
      await port.putClass('worker', {
        install_plan: { ...controlPlanePlan, nixos_configuration: 'baremetal-qemu-worker' },
      });
      await port.preregister({ node_id: 'W1', node_class: 'worker' });
      expect((await port.phoneHome({ ...phoneHome, node_id: 'W1' }, null)).nixos_configuration).toBe(
        'baremetal-qemu-worker',
      );
    } finally {
      await open.dispose();
    }
    await expect(
      LabServiceProcess.start({ service: 'deployer', env: { UCP_DEPLOYER_ALLOW_UNAUTHENTICATED: 'maybe' } }),
    ).rejects.toThrow(/UCP_DEPLOYER_ALLOW_UNAUTHENTICATED must be true or false/);
  });
});
