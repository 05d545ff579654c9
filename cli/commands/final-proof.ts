import { finalProofFiles, run as runProof } from './proof.ts';

export const summary = 'the one-shot final proof: guard, trial VM, quickstart, then the publishable suite';

const usage = `usage: ucproof final-proof [--suite NAME] [--require-kvm] [--keep-cluster]

The seed's run-supported-surface-final-proof: keeps builders local, records the host environment, runs
supported-surface-guard, quickstart-smoke (builds single-node-trial-vm), single-node-quickstart and then the
publishable suite into one dated proof root work/<suite>/<run-id>/ (default suite: final-proofs) with a latest link.

options:
  --suite NAME     suite proof-root name (default: final-proofs)
  --require-kvm    stop at preflight with status blocked unless KVM works (also ULTRACLOUD_REQUIRE_KVM=1)
  --keep-cluster   keep the cluster running afterwards (also ULTRACLOUD_KEEP_CLUSTER=1)

exit: 0 passed, 1 failed, 130 interrupted, 3 blocked, 2 bad arguments.`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return runProof(argv, { suite: 'final-proofs', files: finalProofFiles });
}
