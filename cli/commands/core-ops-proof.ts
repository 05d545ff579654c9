import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { HarnessError } from '../../contracts/errors.ts';
import { projectNode } from '../../helpers/node-version.ts';
import { currentRunId, projectRoot, workRoot } from '../../helpers/proof-root.ts';
import { coreControlPlaneOpsProof } from '../../lanes/companion/core-control-plane-ops-proof.ts';
import { selectTarget } from '../../profiles/load-descriptor.ts';
import { forwardInterruptOnce } from '../forward-interrupt.ts';
import { reportLaneVerdict } from '../lane-verdict.ts';
import { parseCommandArgs } from '../usage.ts';

export const summary = 'the focused operator lifecycle proof of the core control plane';

export const coreOpsProofFile = 'tests/companion/core-control-plane-ops-proof.test.ts';
const suite = 'core-control-plane-ops-suite';

const usage = `usage: ucproof core-ops-proof [--keep-cluster]

The seed's run-core-control-plane-ops-proof: boots the cluster, runs supported-surface-guard, records the published
ChainFire API boundary and the FlareDB additive-first migration and destructive-DDL boundary, and proves the IAM
bootstrap hardening plus signing-key, credential and mTLS rotation. The proof root is
work/${coreControlPlaneOpsProof.name}/<run-id>/ (latest links to it) with iam-key-rotation-tests.log,
iam-credential-rotation-tests.log, iam-mtls-rotation-tests.log, scope-fixed-contract.json and result.json.

options:
  --keep-cluster   keep the cluster running afterwards (also ULTRACLOUD_KEEP_CLUSTER=1)

target: the embedded reference lab, or the real monorepo with ULTRACLOUD_FLAKE=PATH.
exit: 0 passed, 1 failed, 130 interrupted, 3 blocked, 2 bad arguments.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    options: { 'keep-cluster': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ULTRACLOUD_SUITE_NAME: suite };
  const runId = currentRunId(env);
  if (values['keep-cluster']) env.ULTRACLOUD_KEEP_CLUSTER = '1';
  // a bad target selection is exit 2 before anything boots, never a fallback to the lab
  selectTarget(env);
  const proofRoot = join(workRoot(env), coreControlPlaneOpsProof.name, runId);
  process.stderr.write(`[core-ops-proof] run ${runId}\n[core-ops-proof] proof root ${proofRoot}\n`);

  const vitest = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');
  const child = spawn(projectNode(), [vitest, 'run', coreOpsProofFile], { cwd: projectRoot, env, stdio: 'inherit' });
  const signals = forwardInterruptOnce(child, () =>
    process.stderr.write('[core-ops-proof] interrupted; waiting for the cluster to tear down\n'),
  );
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new HarnessError(`cannot start vitest: ${err.message}`)));
    child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
  });
  signals.dispose();
  if (signals.interrupted || code === 130) return 130;
  return reportLaneVerdict('[core-ops-proof]', proofRoot, code);
}
