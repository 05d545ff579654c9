import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { laneTags } from './harness/define.ts';
import { DurationShardSequencer, shardBlobReporter, shardOfRun } from './harness/shard-sequencer.ts';
import { unsupportedNode } from './helpers/node-version.ts';
import { InvalidInputError } from './profiles/descriptor-schema.ts';
import { checkEnvironment, checkWorkRoot } from './profiles/env-schema.ts';
import { suiteRunContext } from './reporters/run-context.ts';

// Bad input stops the run here, in Vitest's main process, before any worker or global setup starts: one line
// naming the variable, exit code 2.
refuseBadInput();

// One Vitest project per lane group, so `vitest --project guards`, `vitest run tests/publishable` and
// `vitest run -t <lane>` all select the way the seed groups its proof lanes.
const run = suiteRunContext();
// a sharded run (`--shard=i/n`) tells its lanes which shard they are and writes a blob report for the merge
const shard = shardOfRun();

const clusterGroups = ['publishable', 'companion', 'portable', 'lab'];
const laneGroups = ['guards', 'quickstart', 'baremetal', ...clusterGroups];
/**
 * Lane groups run one after another (Vitest's groupOrder), never beside each other: on a two-core host a QEMU
 * install and a cluster lane side by side would each measure the other's load, not the platform. The unit project
 * runs first (order 0), the integration project second (order 1), then the lane groups.
 */
const groupOrder = (group: string) => laneGroups.indexOf(group) + 2;

export default defineConfig({
  test: {
    reporters: [
      'default',
      // also writes the suite's junit.xml: placeholder first, replaced atomically, never empty
      ['./reporters/proof-reporter.ts', { workRoot: run.workRoot, runId: run.runId }],
      // where the time went: the ten slowest test files, printed when the run ends
      ['./reporters/slowest-files.ts', { count: 10 }],
      ...shardBlobReporter(shard, run.workRoot),
    ],
    teardownTimeout: 60_000,
    // copies of the lanes' proof files that the UI and HTML report show as attachments: under the work root
    attachmentsDir: join(run.workRoot, '.vitest-attachments'),
    // sharded runs balance their shards by the durations the last run kept in the work root
    sequence: { sequencer: DurationShardSequencer },
    tags: Object.entries(laneTags).map(([name, description]) => ({ name, description })),
    projects: [
      {
        // the project's own code on loopback: real lab service processes, CLIs and Vitest children, no guest, no VM
        // runner, no lab, no nix build. One file per CPU, where Vitest's default leaves one CPU to its main process
        // (one file at a time on a two-core host): the files' own children do the work, not the main process. No
        // more than that: on a shared host, files beside each other stretch each other's waits
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          testTimeout: 60_000,
          maxWorkers: availableParallelism(),
        },
      },
      {
        // tests of the project's own code that boot QEMU guests, VM runners or build with nix: after the unit
        // project, one file at a time (two QEMU guests side by side on two cores would each slow the other)
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 60_000,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      ...laneGroups.map((group) => ({
        test: {
          name: group,
          include: [`tests/${group}/**/*.test.ts`],
          globalSetup: clusterGroups.includes(group) ? ['./harness/cluster-setup.ts'] : [],
          // a worker whose Vitest main process died exits at once instead of holding the cluster's resources
          setupFiles: clusterGroups.includes(group) ? ['./harness/worker-watchdog.ts'] : [],
          testTimeout: 30 * 60_000,
          hookTimeout: 10 * 60_000,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { concurrent: false, groupOrder: groupOrder(group) },
        },
      })),
    ],
  },
});

function refuseBadInput(): void {
  const badNode = unsupportedNode();
  if (badNode) {
    process.stderr.write(`vitest: ${badNode}\n`);
    process.exit(2);
  }
  try {
    checkEnvironment();
    checkWorkRoot();
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    process.stderr.write(`vitest: ${err.message}\n`);
    process.exit(2);
  }
}
