import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';
import { type RedfishEmulator, startRedfishEmulator } from '../../lab/redfish/emulator.ts';
import type { BootContext, BootDevice } from '../../lab/redfish/machine.ts';

/**
 * The lab BMC driven by a Redfish client other than the project's own: Debian's python3-sushy, the library
 * OpenStack Ironic uses. Discovery, boot override, virtual media insert/eject and reset all go through sushy
 * (tests/lab/support/bmc-sushy.py) over a Redfish session, and sushy parses every resource it reads with its
 * own field rules (a resource without a field the DMTF schema requires is refused).
 */
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const script = join(projectRoot, 'tests/lab/support/bmc-sushy.py');
const credentials = { username: 'ironic', password: 'sushy-bmc-5f2a9c' };

let work: string;
let bmc: RedfishEmulator;
let imageUrl: string;
let server: Server;
const booted: BootDevice[] = [];

describe('lab BMC through python3-sushy', () => {
  beforeAll(async () => {
    work = await workTempDir('ucp-bmc-sushy-');
    bmc = await startRedfishEmulator({
      credentials,
      stateDir: join(work, 'bmc'),
      diskSizeMiB: 8,
      // the firmware records the boot and finds nothing bootable: this test is about the Redfish surface
      booter: {
        async boot(device: BootDevice, _ctx: BootContext) {
          booted.push(device);
          return undefined;
        },
      },
    });
    server = createServer((_req, res) => res.end(Buffer.alloc(32 * 1024, 0x2a)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    imageUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/installer.iso`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await bmc?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('discovers the system, sets the boot override, inserts and ejects media and resets it', async () => {
    const run = await execa(python, [script, bmc.url, credentials.username, imageUrl], {
      env: { BMC_PASSWORD: credentials.password, PYTHONDONTWRITEBYTECODE: '1' },
      extendEnv: false,
      reject: false,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.steps).toEqual(['session', 'discovery', 'boot override', 'virtual media', 'reset']);
    // SessionService and Session carry the Resource schema's required Id and Name (sushy refuses them otherwise)
    expect(out.session_service).toEqual({ identity: 'SessionService', name: 'Session Service', timeout: 1800 });
    expect(out.sessions).toHaveLength(1);
    expect(out.sessions[0]).toMatchObject({ username: credentials.username });
    expect(out.systems).toEqual(['/redfish/v1/Systems/1']);
    expect(out.boot).toEqual({
      target: 'BootSource.CD',
      enabled: 'BootSourceOverrideEnabled.ONCE',
      mode: 'BootSourceOverrideMode.UEFI',
    });
    expect(out.boot_after_source).toEqual({ target: 'BootSource.HDD', enabled: 'BootSourceOverrideEnabled.ONCE' });
    expect(out.inserted).toEqual({ inserted: true, image: imageUrl });
    expect(out.ejected).toEqual({ inserted: false, image: null });
    expect(out.power_after_reset).toBe('PowerState.ON');
    expect(out.power_after_off).toBe('PowerState.OFF');
    // what sushy did reached the machine behind the BMC
    expect(booted).toEqual(['Hdd']);
    expect(bmc.machine.powerState).toBe('Off');
  });

  it('the sushy driver refuses any address other than the lab BMC on loopback', async () => {
    const run = await execa(python, [script, 'http://192.0.2.10:443', credentials.username, imageUrl], {
      env: { BMC_PASSWORD: credentials.password },
      extendEnv: false,
      reject: false,
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain('refusing to drive 192.0.2.10: the lab BMC is on loopback');
  });
});
