import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proofLane } from '../../harness/proof-lane.ts';
import { runLane } from '../../harness/run-lane.ts';
import { imageCacheDir } from '../../helpers/guest-image/guest-kernel.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import type { AcceleratorMode } from '../../helpers/qemu-args.ts';
import { freeLoopbackPort } from '../../helpers/qemu-hostfwd.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { type HostDeployer, startHostDeployer } from '../../lab/baremetal/host-deployer.ts';
import { baremetalSshKey } from '../../lab/baremetal/ssh-key.ts';
import {
  buildDiskBootImage,
  buildFlakeBundle,
  buildInstallerImage,
  diskoConfigPath,
} from '../../lab/images/baremetal-images.ts';
import { dropbearFiles } from '../../lab/images/dropbear-files.ts';
import { type RedfishEmulator, startRedfishEmulator } from '../../lab/redfish/emulator.ts';
import { qemuMachineBooter } from '../../lab/redfish/qemu-booter.ts';
import type { RedfishSwitch } from '../../lab/redfish/quirks.ts';
import { type HardwareSmokePhase, hardwareSmokeLane } from '../../lanes/baremetal/hardware-smoke.ts';
import { type HardwareSmokeInputs, readHardwareSmokeInputs } from '../../lanes/baremetal/hardware-smoke-inputs.ts';
import { kernelParamsWithToken } from '../../lanes/baremetal/hardware-smoke-pack.ts';

const id = randomBytes(3).toString('hex');
const token = `hs-token-${randomBytes(8).toString('hex')}`;
const bmcUser = 'hs-operator';
const bmcPassword = `hs-bmc-${randomBytes(8).toString('hex')}`;
const nodeId = `hs-node-${id}`;
const diskSerial = `uc-hs-root-${id}`;
registerSecret(token);
registerSecret(bmcPassword);

let work: string;
let accel: AcceleratorMode;
let installer: string;
let deployer: HostDeployer;
let desiredSystem: string;
let sshPort = 0;
const sshKeyFile = () => join(imageCacheDir(), 'baremetal-ssh', 'id_ed25519');
const cleanups: Array<() => Promise<void>> = [];

async function bmc(switches: RedfishSwitch[], inputs: HardwareSmokeInputs): Promise<RedfishEmulator> {
  const emulator = await startRedfishEmulator({
    credentials: { username: bmcUser, password: bmcPassword },
    stateDir: await mkdtemp(join(work, 'bmc-')),
    switches,
    diskSizeMiB: 64,
    booter: qemuMachineBooter({
      accel,
      installerAppend: kernelParamsWithToken(inputs),
      dmiSerial: nodeId,
      diskSerial,
      memoryMiB: 384,
      hostfwd: [{ hostPort: sshPort, guestPort: 22 }],
      diskBoot: async () => ({
        initrd: await buildDiskBootImage(),
        append: `quiet ultracloud.root_serial=${diskSerial}`,
      }),
    }),
  });
  cleanups.push(() => emulator.close());
  return emulator;
}

function labInputs(extra: Record<string, string> = {}): HardwareSmokeInputs {
  return readHardwareSmokeInputs({
    ULTRACLOUD_ISO_PATH: installer,
    ULTRACLOUD_DEPLOYER_URL: `http://10.0.2.2:${deployer.endpoint.port}`,
    ULTRACLOUD_BOOTSTRAP_TOKEN: token,
    ULTRACLOUD_HARDWARE_TIMEOUT_MS: '420000',
    ...extra,
  });
}

const lane = (phase: HardwareSmokePhase, inputs: HardwareSmokeInputs, runId: string) =>
  runLane(hardwareSmokeLane, {
    target: { phase, inputs },
    targetName: 'lab-bmc',
    runId,
    workRoot: work,
    log: () => {},
  });

const artifact = (runId: string, name: string) => readFile(join(work, 'hardware-smoke', runId, name), 'utf8');

// The canonical lane: preflight with this host's transport inputs (blocked, and so skipped, with none attached).
proofLane(hardwareSmokeLane, {
  target: () => ({ phase: 'preflight' as const, inputs: readHardwareSmokeInputs() }),
  targetName: 'hardware',
  timeoutMs: 60_000,
});

describe('hardware-smoke against the lab BMC', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), `ucp-hwsmoke-${id}-`));
    accel = (await probeAccelerator(await probeGuestImage())).mode;
    const key = baremetalSshKey();
    sshPort = await freeLoopbackPort();
    const [image, bundle] = await Promise.all([
      buildInstallerImage(),
      buildFlakeBundle(['baremetal-qemu-control-plane'], await dropbearFiles(key.publicKey)),
    ]);
    installer = image;
    const system = bundle.systems[0] as (typeof bundle.systems)[number];
    desiredSystem = system.systemId;
    deployer = await startHostDeployer({ stateDir: join(work, 'deployer'), bootstrapToken: token });
    await deployer.port.putClass(system.configuration, {
      install_plan: {
        nixos_configuration: system.configuration,
        disko_config_path: diskoConfigPath(system.configuration),
        target_disk_by_id: `/dev/disk/by-id/virtio-${diskSerial}`,
      },
      desired_system: { target_system: system.systemId },
      bundle_path: bundle.path,
    });
    await deployer.port.preregister({ node_id: nodeId, node_class: system.configuration, hostname: nodeId });
    cleanups.push(async () => {
      await deployer[Symbol.asyncDispose]();
    });
  }, 600_000);

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await rm(work, { recursive: true, force: true });
  });

  it('preflight with nothing attached writes the pack, status=blocked and the exact missing inputs', async () => {
    const result = await lane('preflight', readHardwareSmokeInputs({}), 'preflight-empty');
    expect(result.status).toBe('blocked');
    for (const name of ['kernel-params.txt', 'expected-markers.txt', 'failure-markers.txt', 'operator-handoff.md']) {
      expect(result.artifacts).toContain(name);
    }
    expect(await artifact('preflight-empty', 'status.env')).toMatch(/^status=blocked$/m);
    expect((await artifact('preflight-empty', 'missing-requirements.txt')).trim().split('\n')).toEqual([
      'ULTRACLOUD_HARDWARE_USB_DEVICE (USB transport)',
      'ULTRACLOUD_BMC_URL (BMC/Redfish transport)',
      'ULTRACLOUD_BMC_USERNAME (BMC/Redfish transport)',
      'ULTRACLOUD_BMC_PASSWORD or ULTRACLOUD_BMC_PASSWORD_FILE (BMC/Redfish transport)',
      'ULTRACLOUD_ISO_URL (or ULTRACLOUD_ISO_PATH)',
      'ULTRACLOUD_DEPLOYER_URL',
      'ULTRACLOUD_BOOTSTRAP_TOKEN (or ULTRACLOUD_ALLOW_UNAUTHENTICATED=1 for a lab deployer with allow_unauthenticated=true)',
    ]);
    expect((await artifact('preflight-empty', 'expected-markers.txt')).trim().split('\n')).toEqual([
      'pre-install.boot.*',
      'pre-install.phone-home.complete.*',
      'install.disko.complete.*',
      'reboot.*',
      'post-install.boot.*',
      'desired-system-active.*',
    ]);
  });

  it('a BMC that rejects InsertMedia fails the run at once, naming InsertMedia, and boots nothing', async () => {
    const probe = labInputs();
    const emulator = await bmc(['reject-insert-media'], probe);
    const inputs = labInputs({
      ULTRACLOUD_BMC_URL: emulator.url,
      ULTRACLOUD_BMC_USERNAME: bmcUser,
      ULTRACLOUD_BMC_PASSWORD: bmcPassword,
    });
    const result = await lane('run', inputs, 'run-rejected');
    expect(result.status).toBe('failed');
    expect(result.failure?.property).toBe('BMC accepts VirtualMedia.InsertMedia');
    expect(result.failure?.message).toMatch(/VirtualMedia\.InsertMedia.*answered 500.*failed to mount/);
    expect(result.durationMs).toBeLessThan(30_000);
    expect(await artifact('run-rejected', 'status.env')).toMatch(/^status=failed$[\s\S]*^reason=.*InsertMedia/m);
    expect(emulator.machine.boots).toEqual([]);
    expect(emulator.machine.powerState).toBe('Off');
  });

  it('run and capture against a quirky lab BMC: installer over virtual media through desired-system-active', async () => {
    const probe = labInputs();
    const emulator = await bmc(['require-etag', 'require-boot-mode'], probe);
    const inputs = labInputs({
      ULTRACLOUD_BMC_URL: emulator.url,
      ULTRACLOUD_BMC_USERNAME: bmcUser,
      ULTRACLOUD_BMC_PASSWORD: bmcPassword,
      ULTRACLOUD_BMC_AUTH: 'session',
      ULTRACLOUD_SERIAL_LOG: emulator.serialLog,
    });
    const run = await lane('run', inputs, 'run-lab');
    expect(run.failure, `lab BMC boots: ${JSON.stringify(emulator.machine.boots)}`).toBeNull();
    expect(run.status).toBe('passed');
    expect(emulator.machine.boots[0]?.device).toBe('Cd');
    expect(emulator.machine.media.inserted).toBe(false);
    expect(await artifact('run-lab', 'install-markers.txt')).toMatch(new RegExp(`reboot\\.${nodeId}`));

    const captured = await lane('capture', inputs, 'capture-lab');
    expect(captured.failure).toBeNull();
    expect(captured.status).toBe('passed');
    expect(await artifact('capture-lab', 'desired-system-active.txt')).toMatch(
      new RegExp(`ULTRACLOUD_MARKER desired-system-active\\.${nodeId} system=`),
    );
    expect(emulator.machine.boots.map((b) => b.device)).toEqual(['Cd', 'Hdd']);
    expect((await deployer.port.inspect(nodeId))?.observed?.observed).toBe('active');
    expect(await artifact('capture-lab', 'status.env')).toMatch(/^status=passed$/m);
    expect(await artifact('capture-lab', 'serial-console.log')).toContain('ultracloud.bootstrap_token=[REDACTED]');

    const overSsh = {
      ULTRACLOUD_HARDWARE_SSH: `root@127.0.0.1:${sshPort}`,
      ULTRACLOUD_HARDWARE_SSH_KEY: sshKeyFile(),
      ULTRACLOUD_DESIRED_SYSTEM: desiredSystem,
    };
    const viaSsh = await lane('capture', labInputs(overSsh), 'capture-ssh');
    expect(viaSsh.failure).toBeNull();
    expect(await artifact('capture-ssh', 'ssh-evidence.txt')).toContain(`current-system=`);
    const stale = labInputs({
      ...overSsh,
      ULTRACLOUD_DESIRED_SYSTEM: '/nix/store/0-other',
      ULTRACLOUD_HARDWARE_TIMEOUT_MS: '3000',
    });
    const wrong = await lane('capture', stale, 'capture-ssh-wrong');
    expect(wrong.status).toBe('failed');
    expect(wrong.failure?.message).toMatch(
      /current-system is ".*nixos-system-baremetal-qemu-control-plane", not the desired \/nix\/store\/0-other/,
    );

    const basic = Buffer.from(`${bmcUser}:${bmcPassword}`).toString('base64');
    const files = (await readdir(join(work, 'hardware-smoke'), { recursive: true, withFileTypes: true })).filter((f) =>
      f.isFile(),
    );
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const text = await readFile(join(f.parentPath, f.name), 'utf8');
      for (const secret of [token, bmcPassword, basic]) expect(text, `${f.name} leaks a secret`).not.toContain(secret);
    }
  });
});
