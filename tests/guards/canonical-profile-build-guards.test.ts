import { proofLane } from '../../harness/proof-lane.ts';
import { canonicalProfileBuildGuards } from '../../lanes/guards/canonical-profile-build-guards.ts';
import { defaultNixGuardTarget } from '../../lanes/guards/nix-guard-target.ts';

proofLane(canonicalProfileBuildGuards, { target: () => defaultNixGuardTarget(), timeoutMs: 60 * 60_000 });
