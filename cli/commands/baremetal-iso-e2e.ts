import { basename, dirname, resolve } from 'node:path';
import { BlockedError } from '../../contracts/errors.ts';
import { type SelectedBaremetalTarget, selectedBaremetalTarget } from '../../harness/baremetal.ts';
import { runLane } from '../../harness/run-lane.ts';
import { newRunId, workRoot } from '../../helpers/proof-root.ts';
import { baremetalIsoE2e } from '../../lanes/baremetal/baremetal-iso-e2e.ts';
import { parseCommandArgs, UsageError } from '../usage.ts';

export const summary = 'materialized bare-metal ISO proof runner (requires KVM)';

const help = `usage: ucproof baremetal-iso-e2e [OUT_DIR]

Runs the canonical bare-metal ISO harness (installer boot, phone-home, flake bundle, Disko, reboot, nix-agent
active, SSH) for one control-plane node and one worker, with host KVM, persisting logs and meta.

  OUT_DIR   <root>/baremetal-iso-e2e/<run-id>, or <root>/baremetal-iso-e2e/latest for a new dated run that the
            latest link then points at (default: work/baremetal-iso-e2e/<run-id>)

OUT_DIR holds result.json, environment.txt (execution_model=materialized-check-runner), history.jsonl and state/
(environment.txt with vm_accelerator_mode, console logs, the deployer's view of the nodes).

Environment: ULTRACLOUD_BAREMETAL_SSH_PORTS=<control>,<worker> (default 22231,22232), ULTRACLOUD_KEEP_CLUSTER=1
keeps the VM disks under work/tmp.

Exit codes: 0 passed, 1 failed or interrupted, 2 bad arguments, 3 blocked (no working /dev/kvm: KVM is probed by
booting a guest; result.json then has status "blocked" and missingRequirements naming it).`;

/** Where the run goes: its work root and run id, so the lane's proof root is exactly OUT_DIR. */
export function resolveOutDir(outDir: string | undefined): { root: string; runId: string } {
  if (!outDir) return { root: workRoot(), runId: newRunId() };
  const abs = resolve(outDir);
  const laneDir = dirname(abs);
  if (basename(laneDir) !== baremetalIsoE2e.name) {
    throw new UsageError(`OUT_DIR must be <root>/${baremetalIsoE2e.name}/<run-id> (or .../latest), got "${outDir}"`);
  }
  const name = basename(abs);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new UsageError(`OUT_DIR's last part "${name}" is not a run id`);
  return { root: dirname(laneDir), runId: name === 'latest' ? newRunId() : name };
}

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one OUT_DIR, got ${positionals.length}`);
  const { root, runId } = resolveOutDir(positionals[0]);
  process.env.ULTRACLOUD_EXECUTION_MODEL = 'materialized-check-runner';
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted by signal'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let selected: SelectedBaremetalTarget;
  try {
    selected = await selectedBaremetalTarget();
  } catch (err) {
    if (!(err instanceof BlockedError)) throw err;
    process.stderr.write(`blocked: missing ${err.missing.join(', ')}\n`);
    return 3;
  }
  try {
    const result = await runLane(baremetalIsoE2e, {
      target: selected.target,
      targetName: selected.identity.name,
      targetIdentity: selected.identity,
      workRoot: root,
      runId,
      signal: controller.signal,
    });
    const where = `${root}/${baremetalIsoE2e.name}/${runId}`;
    process.stdout.write(`${baremetalIsoE2e.name}: ${result.status} (${where})\n`);
    if (result.status === 'blocked') {
      process.stderr.write(`blocked: missing ${result.missingRequirements.join(', ')}\n`);
      return 3;
    }
    if (!result.success) process.stderr.write(`${result.failure?.stepPath.join(' › ')}: ${result.failure?.message}\n`);
    return result.success ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
