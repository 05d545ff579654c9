import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quickstartServices } from '../contracts/quickstart-target.ts';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { waitForMarkers } from '../helpers/markers.ts';
import { projectRoot, workTempDir } from '../helpers/proof-root.ts';
import { probeAccelerator } from '../helpers/qemu-accelerator.ts';
import { eventually } from '../helpers/retry.ts';
import { labQuickstartTarget } from '../lab/target/quickstart/lab-quickstart-target.ts';

/**
 * Quickstart boot benchmark: the reference flake's single-node quickstart VM from `nix build` of its runner to the
 * boot marker, to SSH inside the guest, and to all five services healthy on the guest's loopback, then its stop.
 * The accelerator is probed by booting a guest (KVM when it works, TCG otherwise) and reported with the figures.
 * Usage: node benchmarks/quickstart-boot.ts [--runs N] [--out benchmarks/results/quickstart-boot.md]
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '2' },
    out: { type: 'string', default: 'benchmarks/results/quickstart-boot.md' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`quickstart-boot: --runs must be a positive integer, got "${values.runs}"\n`);
  process.exit(2);
}

interface Sample {
  startS: number;
  markerS: number;
  sshS: number;
  healthyS: number;
  stopS: number;
}

const target = labQuickstartTarget();
const probe = await probeAccelerator(await target.probeGuest());
process.stderr.write(`[quickstart-boot] accelerator ${probe.mode}: ${probe.reason}\n`);
const samples: Sample[] = [];
for (let i = 0; i < runs; i++) {
  const stateDir = await workTempDir('quickstart-boot-');
  const t0 = performance.now();
  const s = (t: number) => Math.round((t - t0) / 100) / 10;
  const vm = await target.boot({ accel: probe.mode, stateDir, bootTimeoutMs: 600_000 });
  const started = performance.now();
  try {
    await waitForMarkers(vm.serialLog, [`node.boot.${vm.hostname}`], { timeoutMs: 600_000 });
    const marker = performance.now();
    await eventually(
      async () => {
        const r = await vm.node.exec('true', { timeoutMs: 10_000 });
        if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}`);
      },
      { timeoutMs: 600_000, intervalMs: 500, maxIntervalMs: 1_000 },
    );
    const ssh = performance.now();
    for (const service of quickstartServices) {
      await eventually(
        async () => {
          const h = await vm.guest.health(service);
          if (!h.healthy) throw new Error(h.detail);
        },
        { timeoutMs: 600_000, intervalMs: 500, maxIntervalMs: 1_000 },
      );
    }
    const healthy = performance.now();
    await vm.stop();
    samples.push({
      startS: s(started),
      markerS: s(marker),
      sshS: s(ssh),
      healthyS: s(healthy),
      stopS: Math.round((performance.now() - healthy) / 100) / 10,
    });
    process.stderr.write(`[quickstart-boot] run ${i + 1}: ${JSON.stringify(samples.at(-1))}\n`);
  } catch (err) {
    await vm.stop().catch(() => {});
    throw err;
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const row = (label: string, x: Sample) =>
  `| ${label} | ${x.startS} s | ${x.markerS} s | ${x.sshS} s | ${x.healthyS} s | ${x.stopS.toFixed(1)} s |`;
const med: Sample = {
  startS: median(samples.map((x) => x.startS)),
  markerS: median(samples.map((x) => x.markerS)),
  sshS: median(samples.map((x) => x.sshS)),
  healthyS: median(samples.map((x) => x.healthyS)),
  stopS: median(samples.map((x) => x.stopS)),
};
const report = `# Quickstart boot: the single-node quickstart VM

Measured ${new Date().toISOString()} on ${cpus().length} CPUs with \`node benchmarks/quickstart-boot.ts --runs ${runs}\`,
accelerator **${probe.mode}** (${probe.reason}).
From \`nix build\` of \`lab#nixosConfigurations.single-node-quickstart.config.system.build.vm\` (already in the store)
and QEMU starting, to \`ULTRACLOUD_MARKER node.boot.single-node-quickstart\` on the serial console, to SSH answering
in the guest, to chainfire, flaredb, iam, prismnet and plasmavmc all answering GET /health on the guest's loopback
(through SSH); then the time the VM takes to stop. Every figure counts from the start of the boot call.

| run | runner started | boot marker | SSH | all five healthy | stop |
| --- | --- | --- | --- | --- | --- |
${samples.map((x, i) => row(String(i + 1), x)).join('\n')}
${row('median', med)}
`;
await writeFileAtomic(join(projectRoot, values.out), report);
process.stderr.write(`[quickstart-boot] wrote ${values.out}\n`);
