import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedfishClient } from '../../helpers/redfish-client.ts';
import { RedfishError } from '../../helpers/redfish-error.ts';
import { type RedfishEmulator, startRedfishEmulator } from '../../lab/redfish/emulator.ts';
import { qemuMachineBooter } from '../../lab/redfish/qemu-booter.ts';
import type { RedfishSwitch } from '../../lab/redfish/quirks.ts';

const credentials = { username: 'operator', password: 'bmc-pass-7d1c' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulator(switches: RedfishSwitch[] = [], tls = false): Promise<RedfishEmulator> {
  const stateDir = await mkdtemp(join(tmpdir(), 'ucp-redfish-'));
  const bmc = await startRedfishEmulator({
    credentials,
    stateDir,
    switches,
    tls,
    diskSizeMiB: 8,
    booter: qemuMachineBooter({ accel: 'tcg', installerAppend: '', dmiSerial: 'unit', diskSerial: 'unit-root' }),
  });
  cleanups.push(async () => {
    await bmc.close();
    await rm(stateDir, { recursive: true, force: true });
  });
  return bmc;
}

async function imageServer(content: string): Promise<string> {
  const server: Server = createServer((_req, res) => res.end(content));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/installer.img`;
}

const raw = (bmc: RedfishEmulator, path: string, init: RequestInit = {}) => {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return fetch(`${bmc.url}${path}`, { ...init, headers: { authorization: `Basic ${auth}`, ...init.headers } });
};

describe('lab Redfish BMC and the Redfish client', () => {
  it('requires credentials except on the service root, and discovers the system and its CD', async () => {
    const bmc = await emulator();
    expect((await fetch(`${bmc.url}/redfish/v1`)).status).toBe(200);
    const denied = await fetch(`${bmc.url}/redfish/v1/Systems/1`);
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('Base.1.8.NoValidSession');
    await expect(RedfishClient.connect({ url: bmc.url, ...credentials, password: 'wrong' })).rejects.toThrow(/401/);
    await using client = await RedfishClient.connect({ url: bmc.url, ...credentials });
    expect(client.systemPath).toBe('/redfish/v1/Systems/1');
    expect(client.virtualMediaPath).toBe('/redfish/v1/Managers/1/VirtualMedia/Cd');
    expect((await client.getSystem()).PowerState).toBe('Off');
  });

  it('logs in with a session and logs out on close', async () => {
    const bmc = await emulator();
    const client = await RedfishClient.connect({ url: bmc.url, ...credentials, auth: 'session' });
    const sessions = async () =>
      ((await (await raw(bmc, '/redfish/v1/SessionService/Sessions')).json()) as { Members: unknown[] }).Members;
    expect(await sessions()).toHaveLength(1);
    expect((await client.getVirtualMedia()).Inserted).toBe(false);
    await client.close();
    expect(await sessions()).toHaveLength(0);
  });

  it('require-etag: PATCH without If-Match is 428, a stale one 412; the client reads the ETag and succeeds', async () => {
    const bmc = await emulator(['require-etag']);
    const patch = (headers: Record<string, string>) =>
      raw(bmc, '/redfish/v1/Systems/1', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' } }),
      });
    expect((await patch({})).status).toBe(428);
    expect((await patch({ 'If-Match': 'W/"999"' })).status).toBe(412);
    await using client = await RedfishClient.connect({ url: bmc.url, ...credentials });
    await client.setOneTimeBoot('Cd');
    const boot = (await client.getSystem()).Boot as Record<string, string>;
    expect([boot.BootSourceOverrideTarget, boot.BootSourceOverrideEnabled]).toEqual(['Cd', 'Once']);
  });

  it('require-boot-mode: a Boot PATCH without the mode is 400; the client sends the reported mode', async () => {
    const bmc = await emulator(['require-boot-mode', 'require-etag']);
    const res = await raw(bmc, '/redfish/v1/Systems/1', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'If-Match': '*' },
      body: JSON.stringify({ Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' } }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('BootSourceOverrideMode');
    bmc.machine.boot.mode = 'Legacy';
    await using client = await RedfishClient.connect({ url: bmc.url, ...credentials });
    await client.setOneTimeBoot('Cd');
    expect(bmc.machine.boot).toEqual({ target: 'Cd', enabled: 'Once', mode: 'Legacy' });
  });

  it('inserts media from a loopback image server, refuses other hosts, and ejects', async () => {
    const bmc = await emulator();
    const url = await imageServer('installer-bytes');
    await using client = await RedfishClient.connect({ url: bmc.url, ...credentials });
    await expect(client.insertMedia('http://192.0.2.10/installer.img')).rejects.toThrow(
      /not reachable from the lab BMC/,
    );
    await client.insertMedia(url);
    const media = await client.getVirtualMedia();
    expect([media.Inserted, media.Image]).toEqual([true, url]);
    expect(await readFile(bmc.machine.media.localPath ?? '', 'utf8')).toBe('installer-bytes');
    await expect(client.insertMedia(url)).rejects.toThrow(/409.*already inserted/);
    await client.ejectMedia();
    expect((await client.getVirtualMedia()).Inserted).toBe(false);
  });

  it('reject-insert-media: the client error names VirtualMedia.InsertMedia and carries the Redfish message', async () => {
    const bmc = await emulator(['reject-insert-media']);
    await using client = await RedfishClient.connect({ url: bmc.url, ...credentials });
    const err = await client.insertMedia(await imageServer('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedfishError);
    expect((err as RedfishError).action).toBe('VirtualMedia.InsertMedia');
    expect((err as RedfishError).status).toBe(500);
    expect((err as Error).message).toMatch(/InsertMedia.*500.*Base\.1\.8\.InternalError.*failed to mount/);
  });

  it('powers on without media or an installed disk: the firmware reports no bootable device', async () => {
    const bmc = await emulator();
    await using client = await RedfishClient.connect({ url: bmc.url, ...credentials });
    await client.setOneTimeBoot('Cd');
    await client.reset('On');
    await expect.poll(() => bmc.machine.boots.length).toBe(1);
    expect(bmc.machine.boots[0]).toMatchObject({ device: 'Hdd', result: 'no-bootable-device' });
    expect(bmc.machine.boot).toMatchObject({ target: 'None', enabled: 'Disabled' });
    expect(await readFile(bmc.serialLog, 'utf8')).toMatch(/no virtual media is inserted[\s\S]*no bootable device/);
    await expect(client.reset('Sideways' as 'On')).rejects.toThrow(/ComputerSystem\.Reset.*400/);
  });

  it('serves HTTPS with a self-signed certificate the client trusts through its CA file', async () => {
    const bmc = await emulator([], true);
    expect(bmc.url).toMatch(/^https:/);
    await expect(RedfishClient.connect({ url: bmc.url, ...credentials })).rejects.toThrow(/cannot reach the BMC/);
    await using client = await RedfishClient.connect({ url: bmc.url, ...credentials, caFile: bmc.caFile });
    expect((await client.getSystem()).Id).toBe('1');
  });
});
