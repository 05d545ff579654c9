import type {
  BundleFetch,
  DeployerNode,
  DesiredSystem,
  InstallPlan,
  NodeClass,
} from '../../../contracts/ports/deployer.ts';
import { HttpError } from '../common/http-service.ts';

// The wire types are the deployer's published API: the port client in contracts/ports/deployer.ts owns them.
export type { DesiredSystem, InstallPlan, NodeClass } from '../../../contracts/ports/deployer.ts';
export type NodeRecord = DeployerNode;
export type ObservedStatus = NonNullable<DeployerNode['observed']>;

/** a bootstrap token issued through the admin API; only its SHA-256 is kept */
export interface IssuedToken {
  id: string;
  sha256: string;
  created_at: string;
}

export interface DeployerState {
  classes: Record<string, NodeClass>;
  tokens: IssuedToken[];
  /** a list, not a map: the non-idempotent-preregister fault shows up as a duplicate entry */
  nodes: NodeRecord[];
  publications: number;
  /** every flake-bundle download served, in order (absent in state written before the record existed) */
  bundle_fetches?: BundleFetch[];
}

export const emptyDeployerState = (): DeployerState => ({
  classes: {},
  tokens: [],
  nodes: [],
  publications: 0,
  bundle_fetches: [],
});

export function findNode(state: DeployerState, nodeId: string): NodeRecord {
  const node = state.nodes.find((n) => n.node_id === nodeId);
  if (!node) throw new HttpError(404, `node "${nodeId}" is not pre-registered`);
  return node;
}

/** the desired system a node should run: its own publication, else its class's */
export function desiredFor(state: DeployerState, node: NodeRecord): DesiredSystem | null {
  return node.desired_system ?? state.classes[node.node_class]?.desired_system ?? null;
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function parseName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !idPattern.test(value)) {
    throw new HttpError(400, `${field} must be a name of letters, digits, ".", "_", ":" or "-"`);
  }
  return value;
}

export function parseInstallPlan(value: unknown): InstallPlan {
  const v = value as Partial<Record<keyof InstallPlan, unknown>> | undefined;
  const plan = {} as InstallPlan;
  for (const key of ['nixos_configuration', 'disko_config_path', 'target_disk_by_id'] as const) {
    const field = v?.[key];
    if (typeof field !== 'string' || !field) throw new HttpError(400, `install_plan.${key} is required`);
    plan[key] = field;
  }
  if (plan.disko_config_path.startsWith('/') || plan.disko_config_path.split('/').includes('..')) {
    throw new HttpError(400, 'install_plan.disko_config_path must be a path inside the flake bundle');
  }
  if (!plan.target_disk_by_id.startsWith('/dev/disk/by-id/')) {
    throw new HttpError(400, 'install_plan.target_disk_by_id must be a /dev/disk/by-id/... selector');
  }
  return plan;
}

export function parseDesired(
  value: unknown,
  field: string,
): { target_system: string; health_check_command: string | null } {
  const v = value as { target_system?: unknown; health_check_command?: unknown } | undefined;
  if (typeof v?.target_system !== 'string' || !v.target_system.startsWith('/')) {
    throw new HttpError(400, `${field}.target_system must be an absolute store path`);
  }
  const check = v.health_check_command;
  if (check !== undefined && check !== null && typeof check !== 'string') {
    throw new HttpError(400, `${field}.health_check_command must be a shell command string`);
  }
  return { target_system: v.target_system, health_check_command: check ?? null };
}
