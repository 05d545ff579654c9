import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { GuestSpec } from '../contracts/guest.ts';
import { quickstartServices } from '../contracts/quickstart-target.ts';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { probeGuestImage } from '../helpers/guest-image/probe-image.ts';
import { projectRoot, workTempDir } from '../helpers/proof-root.ts';
import { probeAccelerator } from '../helpers/qemu-accelerator.ts';
import { bootGuest } from '../helpers/qemu-guest.ts';
import { freeLoopbackPort } from '../helpers/qemu-hostfwd.ts';
import { QmpClient } from '../helpers/qemu-qmp.ts';
import { restoreArgs, resumeRestored, saveBlockers, saveGuestState } from '../helpers/qemu-snapshot.ts';
import { eventually } from '../helpers/retry.ts';
import { sshExec } from '../helpers/ssh.ts';
import type { VmRunnerNodeHandle } from '../helpers/vm-runner/node.ts';
import { labQuickstartTarget } from '../lab/target/quickstart/lab-quickstart-target.ts';
import { labVmGuest } from '../lab/target/vm-runner-guest.ts';

/**
 * Boot vs restore, to the same point, in one run:
 * - the single-node quickstart VM: booted to all five services healthy in the guest, then asked (QMP query-migrate)
 *   whether its state can be saved; QEMU's blocked reasons are recorded as they are;
 * - the lab's plain VM guest (busybox, dropbear, slirp; no 9p shares): booted to SSH answering, its state saved to a
 *   file (QMP migrate), a new QEMU started from it (-incoming) to SSH answering with the same boot id and the guest's
 *   clock resynced from the RTC (hwclock -s), with the clock's offset from the host's before and after the resync.
 * Usage: node benchmarks/vm-restore.ts [--runs N] [--out benchmarks/results/vm-restore.md]
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: 'benchmarks/results/vm-restore.md' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`vm-restore: --runs must be a positive integer, got "${values.runs}"\n`);
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`[vm-restore] ${line}\n`);
const secs = (ms: number) => Math.round(ms / 100) / 10;
const loadAtStart = loadavg();
const probe = await probeAccelerator(await probeGuestImage());
log(`accelerator ${probe.mode}: ${probe.reason}`);

// the quickstart VM: boot to healthy, then what QEMU says about saving it
const quickstart = await (async () => {
  const target = labQuickstartTarget();
  const stateDir = await workTempDir('vm-restore-quickstart-');
  const t0 = performance.now();
  const vm = await target.boot({ accel: probe.mode, stateDir, bootTimeoutMs: 900_000 });
  try {
    for (const service of quickstartServices) {
      await eventually(
        async () => {
          const h = await vm.guest.health(service);
          if (!h.healthy) throw new Error(h.detail);
        },
        { timeoutMs: 900_000, intervalMs: 500, maxIntervalMs: 1_000, what: `${service} healthy in the guest` },
      );
    }
    const healthyMs = performance.now() - t0;
    const qmp = await QmpClient.connect((vm.node as VmRunnerNodeHandle).node.qmpSocket);
    try {
      const blockers = await saveBlockers(qmp);
      log(`quickstart VM healthy after ${secs(healthyMs)} s; save blockers: ${blockers.length}`);
      return { healthyS: secs(healthyMs), blockers };
    } finally {
      qmp.close();
    }
  } finally {
    await vm.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
})();

// the plain guest: boot to SSH vs restore to SSH with its clock resynced
interface Sample {
  bootS: number;
  saveS: number;
  stateMiB: number;
  restoreS: number;
  skewBeforeS: number;
  skewAfterS: number;
}
const guest = await labVmGuest();
const key = readFileSync(guest.sshKeyPath);
const samples: Sample[] = [];
for (let i = 0; i < runs; i++) {
  const dir = await workTempDir('vm-restore-plain-');
  const sshPort = await freeLoopbackPort();
  const spec = (extra: string[] = []): GuestSpec => ({
    name: `restore-bench-${i}`,
    kernel: guest.kernel,
    initrd: guest.initrd,
    append: 'console=ttyS0 quiet panic=-1 ultracloud.hostname=restore-bench',
    serialLog: join(dir, 'serial.log'),
    hostfwd: [{ hostPort: sshPort, guestPort: 22 }],
    accel: probe.mode,
    memoryMiB: 256,
    extraArgs: ['-rtc', 'base=utc,clock=host', ...extra],
  });
  const ssh = async (command: string) => {
    const r = await sshExec({ host: '127.0.0.1', port: sshPort, user: 'root', privateKey: key }, command, {
      timeoutMs: 30_000,
    });
    if (r.exitCode !== 0) throw new Error(`${command}: exit ${r.exitCode}`);
    return r.stdout.trim();
  };
  const untilSsh = () =>
    eventually(() => ssh('cat /proc/sys/kernel/random/boot_id'), {
      timeoutMs: 600_000,
      intervalMs: 200,
      maxIntervalMs: 500,
      what: 'SSH into the guest',
    });
  const skew = async () => {
    const before = Date.now() / 1000;
    const g = Number(await ssh('date +%s'));
    return Math.round((g - (before + Date.now() / 1000) / 2) * 10) / 10;
  };
  const stateFile = join(dir, 'guest.state');
  try {
    let bootId: string;
    let bootMs: number;
    let saved: Awaited<ReturnType<typeof saveGuestState>>;
    {
      const t0 = performance.now();
      await using first = await bootGuest(spec());
      bootId = await untilSsh();
      bootMs = performance.now() - t0;
      saved = await saveGuestState(first.qmp, stateFile);
    }
    const t1 = performance.now();
    await using restored = await bootGuest(spec(restoreArgs(stateFile)));
    await resumeRestored(restored.qmp);
    const sameBoot = await untilSsh();
    const skewBefore = await skew();
    await ssh('hwclock -s -u');
    const restoreMs = performance.now() - t1;
    const skewAfter = await skew();
    if (sameBoot !== bootId) throw new Error(`the restored guest has boot id ${sameBoot}, not ${bootId}`);
    samples.push({
      bootS: secs(bootMs),
      saveS: secs(saved.ms),
      stateMiB: Math.round(saved.bytes / 1024 / 1024),
      restoreS: secs(restoreMs),
      skewBeforeS: skewBefore,
      skewAfterS: skewAfter,
    });
    log(`run ${i + 1}: ${JSON.stringify(samples.at(-1))}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const m = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(m * 100) / 100;
};
const row = (label: string, x: Sample) =>
  `| ${label} | ${x.bootS} s | ${x.saveS} s | ${x.stateMiB} MiB | ${x.restoreS} s | ${x.skewBeforeS} s | ${x.skewAfterS} s |`;
const med: Sample = {
  bootS: median(samples.map((x) => x.bootS)),
  saveS: median(samples.map((x) => x.saveS)),
  stateMiB: median(samples.map((x) => x.stateMiB)),
  restoreS: median(samples.map((x) => x.restoreS)),
  skewBeforeS: median(samples.map((x) => x.skewBeforeS)),
  skewAfterS: median(samples.map((x) => x.skewAfterS)),
};
const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(1)).join(', ');
const report = `# VM restore vs boot

Measured ${new Date().toISOString()} on ${cpus().length} CPUs with \`node benchmarks/vm-restore.ts --runs ${runs}\`,
accelerator **${probe.mode}** (${probe.reason}).
Load average (1, 5, 15 min) at the start ${fmtLoad(loadAtStart)}, at the end ${fmtLoad(loadavg())}: the machine is
shared with other engineers' labs and QEMU guests, so every figure carries their load.

## The single-node quickstart VM

Booted to chainfire, flaredb, iam, prismnet and plasmavmc answering healthy in the guest: **${quickstart.healthyS} s**.
Restore: **${quickstart.blockers.length ? 'not possible' : 'possible'}**. QEMU's \`query-migrate\` on the healthy VM
lists ${quickstart.blockers.length} reason(s) its state cannot be saved (neither \`migrate\` nor \`savevm\`):

${quickstart.blockers.map((b) => `- ${b}`).join('\n') || '- none'}

The quickstart guest runs from the host's /usr, the Nix store and the project tree over 9p, and QEMU (7.2 here) refuses to
migrate or snapshot a guest with a mounted 9p share. Restoring it needs a guest without mounted 9p shares (its userland on
a block device), so the quickstart lanes and their negative tests still boot.

## The lab's plain VM guest (no 9p): boot vs restore to SSH

Boot: QEMU started to SSH answering in the guest. Save: the guest paused and its state written (QMP \`migrate\` to a
file). Restore: a new QEMU started from that file (\`-incoming\`) to SSH answering with the same boot id, and the
guest's clock resynced from its RTC (\`hwclock -s\`; QEMU keeps the RTC on the host's clock, \`-rtc clock=host\`).
Clock offset: the guest's \`date +%s\` minus the host's clock in the middle of the SSH call, after the restore
before and after the resync. The guest counts whole seconds (\`date +%s\` truncates, the RTC has 1-second resolution),
so an offset down to -2 s is the host's clock; the stale offset before the resync is about as long as the restore took.

| run | boot to SSH | save | state | restore to SSH + resync | clock offset before resync | after |
| --- | --- | --- | --- | --- | --- | --- |
${samples.map((x, i) => row(String(i + 1), x)).join('\n')}
${row('median', med)}
`;
await writeFileAtomic(join(projectRoot, values.out), report);
log(`wrote ${values.out}`);
