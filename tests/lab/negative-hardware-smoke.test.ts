import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineLane } from '../../harness/define.ts';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { RedfishClient } from '../../helpers/redfish-client.ts';
import { type RedfishEmulator, startRedfishEmulator } from '../../lab/redfish/emulator.ts';
import { qemuMachineBooter } from '../../lab/redfish/qemu-booter.ts';
import type { RedfishSwitch } from '../../lab/redfish/quirks.ts';
import { hardwareSmokeLane } from '../../lanes/baremetal/hardware-smoke.ts';
import { ejectInstaller } from '../../lanes/baremetal/hardware-smoke-bmc.ts';
import { readHardwareSmokeInputs } from '../../lanes/baremetal/hardware-smoke-inputs.ts';

/**
 * hardware-smoke run against a lab BMC whose virtual media silently drops InsertMedia: the BMC answers 204, the
 * lane reads the VirtualMedia resource back and fails at the insert step naming the property, booting nothing.
 */
const credentials = { username: 'hs-operator', password: `hs-bmc-${randomBytes(8).toString('hex')}` };
registerSecret(credentials.password);

let work: string;
let imageUrl: string;
const cleanups: Array<() => Promise<void>> = [];

async function bmc(switches: RedfishSwitch[]): Promise<RedfishEmulator> {
  const emulator = await startRedfishEmulator({
    credentials,
    stateDir: await workTempDir('bmc-', work),
    switches,
    diskSizeMiB: 8,
    booter: qemuMachineBooter({ accel: 'tcg', installerAppend: '', dmiSerial: 'hs-neg', diskSerial: 'hs-neg-root' }),
  });
  cleanups.push(() => emulator.close());
  return emulator;
}

describe('hardware-smoke negative: the lab BMC accepts InsertMedia but mounts nothing', () => {
  beforeAll(async () => {
    work = await workTempDir('ucp-hwsmoke-negative-');
    const server: Server = createServer((_req, res) => res.end(Buffer.alloc(64 * 1024, 0x55)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const address = server.address();
    imageUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/installer.iso`;
  });
  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await rm(work, { recursive: true, force: true });
  });

  it('fails at the insert step naming Inserted, and never powers the machine on', async () => {
    const emulator = await bmc(['insert-media-noop']);
    const inputs = readHardwareSmokeInputs({
      ULTRACLOUD_ISO_URL: imageUrl,
      ULTRACLOUD_DEPLOYER_URL: 'http://10.0.2.2:8088',
      ULTRACLOUD_BOOTSTRAP_TOKEN: `hs-token-${randomBytes(8).toString('hex')}`,
      ULTRACLOUD_BMC_URL: emulator.url,
      ULTRACLOUD_BMC_USERNAME: credentials.username,
      ULTRACLOUD_BMC_PASSWORD: credentials.password,
    });
    const result = await runLane(hardwareSmokeLane, {
      target: { phase: 'run', inputs },
      targetName: 'lab-bmc',
      runId: 'insert-noop',
      workRoot: work,
      log: () => {},
    });
    expect(result.status).toBe('failed');
    expect(result.failure).toMatchObject({
      kind: 'property',
      stepPath: ['hardware-smoke', 'insert the installer image (VirtualMedia.InsertMedia)'],
      property: 'virtual CD reads back Inserted true after InsertMedia',
    });
    expect(result.failure?.message).toContain('/redfish/v1/Managers/1/VirtualMedia/Cd reads {"Inserted":false');
    const insert = result.steps.find((s) => s.path.at(-1) === 'insert the installer image (VirtualMedia.InsertMedia)');
    expect(insert?.checks[0]).toMatchObject({ property: 'BMC accepts VirtualMedia.InsertMedia', ok: true });
    expect(emulator.machine.boots).toEqual([]);
    expect(emulator.machine.powerState).toBe('Off');
    const status = await readFile(join(work, 'hardware-smoke', 'insert-noop', 'status.env'), 'utf8');
    expect(status).toMatch(/^status=failed$/m);
  });

  it('a healthy lab BMC reads back what the lane checks: Inserted and Image after insert, none after eject', async () => {
    const emulator = await bmc([]);
    await using client = await RedfishClient.connect({ url: emulator.url, ...credentials });
    await client.insertMedia(imageUrl);
    expect(await client.getVirtualMedia()).toMatchObject({ Inserted: true, Image: imageUrl });
    await client.ejectMedia();
    expect(await client.getVirtualMedia()).toMatchObject({ Inserted: false, Image: null });
  });

  it('a BMC that accepts EjectMedia but keeps the image fails the eject step naming Inserted', async () => {
    const emulator = await bmc(['eject-media-noop']);
    await using client = await RedfishClient.connect({ url: emulator.url, ...credentials });
    await client.insertMedia(imageUrl);
    // the lane's own eject step, run as a lane against the faulted BMC
    const ejectOnly = defineLane<undefined>({
      name: 'hardware-smoke-eject',
      group: 'baremetal',
      summary: "hardware-smoke's eject step alone",
      run: (ctx) => ejectInstaller(ctx, client),
    });
    const result = await runLane(ejectOnly, {
      target: undefined,
      targetName: 'lab-bmc',
      runId: 'eject-noop',
      workRoot: work,
      log: () => {},
    });
    expect(result.status).toBe('failed');
    expect(result.failure).toMatchObject({
      kind: 'property',
      stepPath: ['hardware-smoke-eject', 'eject the installer image (VirtualMedia.EjectMedia)'],
      property: 'virtual CD reads back Inserted false after EjectMedia',
    });
    expect(result.failure?.message).toContain('"Inserted":true');
    expect(emulator.machine.media.inserted).toBe(true);
    await emulator.setSwitches([]);
    await client.ejectMedia();
  });
});
