import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import type { AcceleratorMode } from '../../helpers/qemu-args.ts';
import { buildDiskBootImage } from '../images/baremetal-images.ts';
import { startRedfishEmulator } from './emulator.ts';
import { qemuMachineBooter } from './qemu-booter.ts';
import { type RedfishSwitch, redfishSwitches } from './quirks.ts';

/**
 * The lab BMC as a process:
 *   node lab/redfish/main.ts --state-dir DIR --username U --password-file F [--listen 127.0.0.1:0] [--tls]
 *     [--switch require-etag] [--switch require-boot-mode] [--switch reject-insert-media]
 *     [--switch insert-media-noop] [--switch eject-media-noop]
 *     [--append "ultracloud.deployer_url=..."] [--accel auto|kvm|tcg] [--dmi-serial S] [--disk-serial S]
 * The machine boots the inserted image as the lab installer and, after it, its disk through the lab's disk-boot
 * stage (lab/images/baremetal-images.ts).
 * Prints "ULTRACLOUD_MARKER redfish.ready <url> <serial-log>" once it serves; SIGTERM powers the machine off.
 */
const usage = (problem: string): never => {
  process.stderr.write(`lab/redfish: ${problem}\n`);
  process.exit(2);
};

const { values } = parseArgs({
  options: {
    'state-dir': { type: 'string' },
    username: { type: 'string', default: 'admin' },
    'password-file': { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1:0' },
    tls: { type: 'boolean', default: false },
    switch: { type: 'string', multiple: true, default: [] },
    append: { type: 'string', default: '' },
    accel: { type: 'string', default: 'auto' },
    'dmi-serial': { type: 'string', default: 'lab-bmc-node' },
    'disk-serial': { type: 'string', default: 'uc-bmc-root' },
  },
});
const stateDir = values['state-dir'] ?? usage('--state-dir is required');
const passwordFile = values['password-file'] ?? usage('--password-file is required');
const [host, port] = values.listen.split(':');
if (!host || !port || !/^\d+$/.test(port)) usage(`--listen must be host:port, got "${values.listen}"`);
for (const s of values.switch) {
  if (!Object.hasOwn(redfishSwitches, s))
    usage(`--switch "${s}" is unknown; known: ${Object.keys(redfishSwitches).join(', ')}`);
}
if (!['auto', 'kvm', 'tcg'].includes(values.accel)) usage(`--accel must be auto, kvm or tcg, got "${values.accel}"`);
const accel: AcceleratorMode =
  values.accel === 'auto' ? (await probeAccelerator(await probeGuestImage())).mode : (values.accel as AcceleratorMode);

const emulator = await startRedfishEmulator({
  credentials: { username: values.username, password: readFileSync(passwordFile, 'utf8').trim() },
  stateDir,
  host,
  port: Number(port),
  tls: values.tls,
  switches: values.switch as RedfishSwitch[],
  booter: qemuMachineBooter({
    accel,
    installerAppend: values.append,
    dmiSerial: values['dmi-serial'],
    diskSerial: values['disk-serial'],
    diskBoot: async () => ({
      initrd: await buildDiskBootImage(),
      append: `quiet ultracloud.root_serial=${values['disk-serial']}`,
    }),
  }),
  log: (line) => process.stderr.write(`${line}\n`),
});
const stop = async () => {
  await emulator.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
process.stdout.write(`ULTRACLOUD_MARKER redfish.ready ${emulator.url} ${emulator.serialLog} accel=${accel}\n`);
