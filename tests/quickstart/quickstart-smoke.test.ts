import { proofLane } from '../../harness/proof-lane.ts';
import { defaultNixGuardTarget } from '../../lanes/guards/nix-guard-target.ts';
import { quickstartSmoke } from '../../lanes/quickstart/quickstart-smoke.ts';

// ULTRACLOUD_FLAKE's quickstart outputs, else the reference flake's.
proofLane(quickstartSmoke, { target: () => defaultNixGuardTarget(), timeoutMs: 30 * 60_000 });
