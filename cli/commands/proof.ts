import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../../contracts/errors.ts';
import { projectNode } from '../../helpers/node-version.ts';
import { currentRunId, projectRoot, workRoot } from '../../helpers/proof-root.ts';
import { publishablePreflight } from '../../lanes/publishable/preflight.ts';
import { selectTarget } from '../../profiles/load-descriptor.ts';
import { LaneResult, SuiteResult } from '../../profiles/result-schema.ts';
import { forwardInterruptOnce } from '../forward-interrupt.ts';
import { parseCommandArgs, UsageError } from '../usage.ts';

export const summary = 'run the publishable suite on the selected target';

const usage = `usage: ucproof proof [--suite NAME] [--lane NAME]... [--require-kvm] [--keep-cluster]

The seed's run-publishable-kvm-suite: captures the host environment, runs fresh-smoke, fresh-demo-vm-webapp,
fresh-matrix and chainfire-live-membership-proof against one cluster booted once, and writes the suite's proof
root work/<suite>/<run-id>/ (result.json, environment.txt, junit.xml) with a latest link.

options:
  --suite NAME     suite proof-root name (default: publishable-kvm-suite)
  --lane NAME      run only this lane, from any lane group (repeatable)
  --require-kvm    stop at preflight with status blocked unless KVM works (also ULTRACLOUD_REQUIRE_KVM=1)
  --keep-cluster   keep the cluster running afterwards (also ULTRACLOUD_KEEP_CLUSTER=1)

target: the embedded reference lab, or the real monorepo with ULTRACLOUD_FLAKE=PATH.
exit: 0 passed, 1 failed, 130 interrupted, 3 blocked (at preflight, or nothing passed and lanes are blocked),
2 bad arguments.
A second Ctrl-C is not passed on: the suite finishes tearing its cluster down.`;

/** What `final-proof` runs, in the seed's order: the supported-surface guard, the trial VM build and quickstart smoke, the quickstart VM, then the publishable suite. */
export const finalProofFiles = [
  'tests/guards/supported-surface-guard.test.ts',
  'tests/quickstart/quickstart-smoke.test.ts',
  'tests/quickstart/single-node-quickstart.test.ts',
  'tests/publishable/',
];

export async function run(argv: string[], preset?: { suite: string; files: string[] }): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    options: {
      suite: { type: 'string' },
      lane: { type: 'string', multiple: true },
      'require-kvm': { type: 'boolean' },
      'keep-cluster': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (preset && values.lane?.length) throw new UsageError('--lane: the final proof runs its fixed lane set');
  const suite = values.suite ?? preset?.suite ?? 'publishable-kvm-suite';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(suite)) {
    throw new UsageError(`--suite must be a name of letters, digits, ".", "_" and "-", got "${suite}"`);
  }
  // an unknown lane is refused before anything is probed or booted
  const laneFiles = (values.lane ?? []).map(laneFile);
  const env: NodeJS.ProcessEnv = { ...process.env, ULTRACLOUD_SUITE_NAME: suite };
  const runId = currentRunId(env);
  if (values['require-kvm']) env.ULTRACLOUD_REQUIRE_KVM = '1';
  if (values['keep-cluster']) env.ULTRACLOUD_KEEP_CLUSTER = '1';
  // the target is chosen before preflight probes anything: a bad selection is exit 2, never a fallback to the lab
  selectTarget(env);
  const suiteRoot = join(workRoot(env), suite, runId);
  process.stderr.write(`[proof] suite ${suite}, run ${runId}\n[proof] proof root ${suiteRoot}\n`);

  const preflight = await publishablePreflight(env, suiteRoot);
  if (preflight.status === 'blocked') {
    process.stderr.write(`[proof] blocked at preflight: missing ${preflight.missing.join(', ')}\n`);
    return 3;
  }
  const vitest = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');
  // the whole publishable suite, or the named lanes wherever their group is
  const lanes = values.lane ?? [];
  const args = [vitest, 'run'];
  if (preset) args.push(...preset.files);
  else if (lanes.length === 0) args.push('--project', 'publishable');
  // the lanes' own files only, so no other group's global setup boots a cluster they do not need
  else args.push(...laneFiles, '-t', `^(${lanes.map(escapeRegExp).join('|')})$`);
  const child = spawn(projectNode(), args, { cwd: projectRoot, env, stdio: 'inherit' });
  const signals = forwardInterruptOnce(child, () =>
    process.stderr.write('[proof] interrupted; waiting for the suite to tear down\n'),
  );
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new HarnessError(`cannot start vitest: ${err.message}`)));
    child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
  });
  signals.dispose();
  const resultFile = join(suiteRoot, 'result.json');
  if (existsSync(resultFile)) {
    process.stderr.write(`[proof] suite result: ${resultFile}\n`);
    for (const line of suiteSummary(resultFile)) process.stderr.write(`[proof] ${line}\n`);
  } else process.stderr.write(`[proof] the suite left no result (${resultFile} is missing)\n`);
  if (signals.interrupted || code === 130) return 130;
  if (code === 3) return 3;
  return code === 0 ? 0 : 1;
}

/** The folders under tests/ that hold the project's own tests, not lanes. */
const testGroups = ['unit', 'integration'];

/** tests/<group>/<lane>.test.ts, relative to the project; an unknown lane is a usage error naming it. */
export function laneFile(lane: string): string {
  const tests = join(projectRoot, 'tests');
  for (const group of readdirSync(tests)) {
    const file = join('tests', group, `${lane}.test.ts`);
    if (!testGroups.includes(group) && existsSync(join(projectRoot, file))) return file;
  }
  throw new UsageError(`--lane: no lane named "${lane}" (tests/<group>/${lane}.test.ts does not exist)`);
}

/**
 * The target, then one line per lane that did not simply pass: a blocked one naming what it misses, a failed one
 * saying whether the target broke a property or the harness broke and where its rerun command is, a flaky one.
 */
export function suiteSummary(resultFile: string): string[] {
  try {
    const suite = SuiteResult.parse(JSON.parse(readFileSync(resultFile, 'utf8')));
    const target = suite.targets.map((t) => `${t.name} (${t.kind}${t.flake ? `, ${t.flake}` : ''})`).join('; ');
    return [
      ...(target ? [`target: ${target}`] : []),
      ...suite.lanes
        .filter((l) => l.status === 'blocked')
        .map((l) => `blocked ${l.lane}: missing ${l.missing.join(', ') || '(not named)'}`),
      ...suite.lanes.flatMap((l) => {
        if (l.status !== 'failed' && l.status !== 'flaky' && l.status !== 'interrupted') return [];
        const lane = l.proofRoot ? readLane(join(l.proofRoot, 'result.json')) : undefined;
        if (l.status === 'flaky') return [`flaky ${l.lane}: passed on its rerun after a broken harness`];
        const why = l.status === 'interrupted' ? 'interrupted' : `broken ${lane?.failureClass ?? 'harness'}`;
        const rerun =
          lane?.failureBundle && l.proofRoot ? `; rerun: ${join(l.proofRoot, lane.failureBundle, 'rerun.txt')}` : '';
        return [`${l.status} ${l.lane} (${why})${rerun}`];
      }),
    ];
  } catch {
    return [];
  }
}

function readLane(path: string): LaneResult | undefined {
  try {
    return LaneResult.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
