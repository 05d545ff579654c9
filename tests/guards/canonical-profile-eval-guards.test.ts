import { proofLane } from '../../harness/proof-lane.ts';
import { canonicalProfileEvalGuards } from '../../lanes/guards/canonical-profile-eval-guards.ts';
import { defaultNixGuardTarget } from '../../lanes/guards/nix-guard-target.ts';

proofLane(canonicalProfileEvalGuards, { target: () => defaultNixGuardTarget(), timeoutMs: 15 * 60_000 });
