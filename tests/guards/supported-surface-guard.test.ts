import { proofLane } from '../../harness/proof-lane.ts';
import { defaultSurfaceTarget, supportedSurfaceGuard } from '../../lanes/guards/supported-surface-guard.ts';

proofLane(supportedSurfaceGuard, { target: () => defaultSurfaceTarget(), timeoutMs: 5 * 60_000 });
