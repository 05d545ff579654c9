import type { FaultSwitches } from '../common/fault-switches.ts';
import type { JsonStore } from '../common/json-store.ts';
import type { nixAgentFaults } from './faults.ts';
import { type HealthCheckResult, runHealthCheck } from './health-check.ts';
import { realise } from './realise.ts';
import { buildOnGuest, type SystemProfile } from './system-profile.ts';

export interface Desired {
  target_system: string;
  health_check_command: string | null;
  generation: number;
  source: 'deployer' | 'local';
  /** the binary cache the deployer names for substituting the closure */
  binary_cache_url: string | null;
}

export type Observed = 'idle' | 'activating' | 'active' | 'rolled-back' | 'failed';

export interface AgentState {
  observed: Observed;
  desired: Desired | null;
  /** `${source}:${generation}` of the last desired system acted on */
  handled: string | null;
  /** a build was needed (the closure was not host-built and present) */
  buildRequired: boolean;
  /** the agent compiled the closure itself */
  built: boolean;
  lastHealthCheck: HealthCheckResult | null;
  rejected: Array<{ target_system: string; generation: number; at: string }>;
  detail: string | null;
}

export const initialAgentState = (): AgentState => ({
  observed: 'idle',
  desired: null,
  handled: null,
  buildRequired: false,
  built: false,
  lastHealthCheck: null,
  rejected: [],
  detail: null,
});

const keyOf = (d: Desired) => `${d.source}:${d.generation}`;

/**
 * Converge the node to its desired system once: activate the target closure as a new profile generation
 * (no build when it is already present), run the health check, and keep it (active) or switch back to the
 * previous generation (rolled-back).
 */
export async function converge(
  desired: Desired | null,
  store: JsonStore<AgentState>,
  profile: SystemProfile,
  faults: FaultSwitches<typeof nixAgentFaults>,
  stateDir: string,
  healthTimeoutMs: number,
  trustedKeys: string | null = null,
): Promise<boolean> {
  if (!desired || store.get().handled === keyOf(desired)) return false;
  store.update((s) => {
    s.desired = desired;
    s.observed = 'activating';
    s.detail = null;
  });
  const realised = await realise(
    desired.target_system,
    desired.binary_cache_url,
    trustedKeys,
    faults.on('build-on-node'),
  );
  if (!realised.ok) {
    store.update((s) => {
      s.observed = 'failed';
      s.handled = keyOf(desired);
      s.buildRequired = true;
      s.built = false;
      s.detail = realised.detail;
    });
    return true;
  }
  const compile = faults.on('compile-on-guest');
  const system = compile ? buildOnGuest(stateDir, desired.target_system) : desired.target_system;
  const previous = profile.currentNumber();
  const number = profile.activate(system);
  const check = desired.health_check_command
    ? await runHealthCheck(desired.health_check_command, system, healthTimeoutMs)
    : null;
  const healthy = check === null || check.exitCode === 0 || faults.on('ignore-health-check');
  if (!healthy && !faults.on('stay-on-rejected-generation')) {
    if (previous === null) profile.deactivate();
    else profile.switchTo(previous);
  }
  store.update((s) => {
    s.observed = healthy ? 'active' : 'rolled-back';
    s.handled = keyOf(desired);
    s.buildRequired = compile;
    s.built = compile;
    s.lastHealthCheck = check;
    s.detail = healthy
      ? `generation ${number} active`
      : `health check exited ${check?.exitCode ?? 'by timeout'}; switched back from generation ${number} to ${previous ?? 'none'}`;
    if (!healthy)
      s.rejected.push({
        target_system: desired.target_system,
        generation: desired.generation,
        at: new Date().toISOString(),
      });
  });
  return true;
}
