import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { runLane } from '../harness/run-lane.ts';
import { guestKernel } from '../helpers/guest-image/guest-kernel.ts';
import { probeGuestImage } from '../helpers/guest-image/probe-image.ts';
import { waitForMarkers } from '../helpers/markers.ts';
import { workTempDir } from '../helpers/proof-root.ts';
import { probeAccelerator } from '../helpers/qemu-accelerator.ts';
import { bootGuest } from '../helpers/qemu-guest.ts';
import { freeLoopbackPort } from '../helpers/qemu-hostfwd.ts';
import { labBaremetalTarget } from '../lab/baremetal/lab-baremetal-target.ts';
import { buildInstallerImage } from '../lab/images/baremetal-images.ts';
import { baremetalIso } from '../lanes/baremetal/baremetal-iso.ts';

// Installer boot to its first marker, and the whole baremetal-iso lane (two nodes installed, rebooted, active),
// under whichever accelerator really works here (named in the benchmark titles). Every Vitest project includes the
// benchmarks, so select one: vitest bench --run --project unit benchmarks/qemu-boot.bench.ts
const accel = (await probeAccelerator(await probeGuestImage())).mode;
const installer = await buildInstallerImage();
const dir = await workTempDir('qemu-bench-');
afterAll(() => rm(dir, { recursive: true, force: true }));
const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };
let run = 0;

describe(`qemu boot (${accel})`, () => {
  bench(
    `installer boot to pre-install.boot (${accel})`,
    async () => {
      const serialLog = join(dir, `installer-${run++}.log`);
      await using guest = await bootGuest({
        name: `bench-installer-${run}`,
        kernel: guestKernel().vmlinuz,
        initrd: installer,
        append: 'console=ttyS0 quiet panic=-1 ultracloud.deployer_url=http://10.0.2.2:9 ultracloud.node_id=bench01',
        serialLog,
        accel,
        network: true,
        memoryMiB: 384,
      });
      await waitForMarkers(guest.serialLog, ['pre-install.boot.bench01'], { timeoutMs: 300_000 });
    },
    { ...once, iterations: 3 },
  );

  bench(
    `baremetal-iso lane, two nodes to desired-system-active (${accel})`,
    async () => {
      const sshPorts = { control: await freeLoopbackPort(), worker: await freeLoopbackPort() };
      const result = await runLane(baremetalIso, {
        target: labBaremetalTarget({ sshPorts }),
        targetName: 'reference-lab',
        workRoot: join(dir, 'lanes'),
        log: () => {},
      });
      if (!result.success) throw new Error(`baremetal-iso ${result.status}: ${result.failure?.message}`);
    },
    once,
  );
});
