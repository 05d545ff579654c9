import { z } from 'zod';

export interface InstallPlan {
  nixos_configuration: string;
  disko_config_path: string;
  target_disk_by_id: string;
}

export interface DesiredSystem {
  target_system: string;
  health_check_command: string | null;
  /** deployer-wide publication number: a new publication always has a new generation */
  generation: number;
  published_at: string;
}

export interface NodeClass {
  name: string;
  install_plan: InstallPlan;
  desired_system: DesiredSystem | null;
  /** a prebuilt flake bundle (tar.gz) on the deployer's host, served instead of a generated one */
  bundle_path: string | null;
}

export interface DeployerNode {
  node_id: string;
  node_class: string;
  hostname: string | null;
  registered_at: string;
  phone_home: { at: string; hostname: string | null; disks_by_id: string[] } | null;
  desired_system: DesiredSystem | null;
  observed: {
    observed: string;
    generation: number | null;
    target_system: string | null;
    current_system: string | null;
    detail: string | null;
    reported_at: string;
  } | null;
}

/**
 * The deployer's own record of one flake-bundle download: which node fetched the bundle of which class, the sha256
 * and size of the bytes the deployer served, and when. Validated on the way in (bundleFetches).
 */
export const bundleFetchSchema = z.object({
  /** the node named by the download's node_id query; null when the download named none */
  node_id: z.string().min(1).nullable(),
  node_class: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256'),
  bytes: z.number().int().nonnegative(),
  at: z.iso.datetime(),
});
export type BundleFetch = z.infer<typeof bundleFetchSchema>;
export const bundleFetchesSchema = z.object({ fetches: z.array(bundleFetchSchema) });

export interface PhoneHomeRequest {
  /** the DMI serial */
  node_id: string;
  hostname: string;
  disks_by_id: string[];
}

export interface PhoneHomeAnswer extends InstallPlan {
  node_id: string;
  node_class: string;
  hostname: string | null;
  install_plan: InstallPlan;
  desired_system: DesiredSystem | null;
  target_disk_present: boolean | null;
  bundle_url: string;
}

export interface BinaryCacheRequest {
  method: string;
  path: string;
  status: number;
  remote_address: string | null;
  user_agent: string | null;
  at: string;
}

/**
 * The generated cluster state (`ultracloud.cluster`, schema ultracloud/cluster-state@1): what the flake's
 * nix/lib/cluster-schema.nix evaluates and `deployer-ctl apply` takes. Strict: a field the schema does not name is
 * refused, on either side of the wire.
 */
export const ClusterInstallPlan = z.strictObject({
  nixos_configuration: z.string().min(1),
  disko_config_path: z.string().min(1),
  target_disk_by_id: z.string().startsWith('/dev/disk/by-id/'),
});
export const ClusterDesiredSystem = z.strictObject({
  target_system: z.string().startsWith('/'),
  health_check_command: z.string().nullable(),
});
export const ClusterClass = z.strictObject({
  install_plan: ClusterInstallPlan,
  desired_system: ClusterDesiredSystem.nullable(),
});
export const ClusterNode = z.strictObject({
  class: z.string().min(1),
  role: z.enum(['control-plane', 'worker', 'gateway', 'installer']),
  hostname: z.string().min(1).nullable(),
});
export const ClusterService = z.strictObject({
  replicas: z.number().int().min(0).max(64),
  command: z.array(z.string()).min(1).nullable(),
  /** the nodes a replica may run on */
  nodes: z.array(z.string().min(1)).min(1),
});
export const ClusterState = z.strictObject({
  schema: z.literal('ultracloud/cluster-state@1'),
  name: z.string().min(1),
  classes: z.record(z.string(), ClusterClass),
  nodes: z.record(z.string(), ClusterNode),
  services: z.record(z.string(), ClusterService),
});
export type ClusterState = z.infer<typeof ClusterState>;
export type ClusterService = z.infer<typeof ClusterService>;

/** What an apply changed: names of classes, nodes and services created, changed or removed (empty on a re-apply). */
export const ApplyResult = z.strictObject({
  created: z.array(z.string()),
  changed: z.array(z.string()),
  removed: z.array(z.string()),
});
export type ApplyResult = z.infer<typeof ApplyResult>;

/**
 * What the deployer's admin API reads back of the applied cluster state: every class, node and service that came
 * from an apply, as lists (a duplicate shows up as a repeated name), in the generated state's field names.
 */
export const AppliedCluster = z.strictObject({
  name: z.string().nullable(),
  classes: z.array(ClusterClass.extend({ name: z.string() })),
  nodes: z.array(ClusterNode.extend({ node_id: z.string() })),
  services: z.array(ClusterService.extend({ name: z.string() })),
});
export type AppliedCluster = z.infer<typeof AppliedCluster>;

/**
 * Deployer: node classes with install plans, admin pre-register (idempotent), phone-home with the bootstrap
 * token (`Authorization: Bearer`), the flake bundle, desired-system publication and observed status.
 */
export interface DeployerPort {
  at(node: string): DeployerPort;
  putClass(
    name: string,
    spec: {
      install_plan: InstallPlan;
      desired_system?: { target_system: string; health_check_command?: string | null };
      bundle_path?: string;
    },
  ): Promise<NodeClass>;
  classes(): Promise<NodeClass[]>;
  /** a new bootstrap token (registered for redaction); the deployer keeps only its hash */
  issueBootstrapToken(): Promise<{ id: string; token: string }>;
  revokeBootstrapToken(id: string): Promise<void>;
  preregister(request: {
    node_id: string;
    node_class: string;
    hostname?: string;
  }): Promise<{ node: DeployerNode; created: boolean }>;
  nodes(): Promise<DeployerNode[]>;
  /** the node, or null when the deployer does not know it */
  inspect(nodeId: string): Promise<(DeployerNode & { effective_desired_system: DesiredSystem | null }) | null>;
  publishDesiredSystem(
    nodeId: string,
    desired: { target_system: string; health_check_command?: string | null },
  ): Promise<DesiredSystem>;
  /** phone home as the installer does; `token` null sends no Authorization header */
  phoneHome(request: PhoneHomeRequest, token: string | null): Promise<PhoneHomeAnswer>;
  /** the flake bundle bytes (a tar.gz) of a node class */
  downloadBundle(nodeClass: string, token: string | null): Promise<Buffer>;
  /** what nix-agent receives: the desired system and, with a cache, the binary cache to substitute it from */
  desiredSystem(nodeId: string): Promise<DesiredSystem & { node_id: string; binary_cache_url?: string }>;
  /**
   * Ship host-built store paths (with their closures) into the signed binary cache the deployer names in
   * binary_cache_url: what an operator's build host does before publishing a desired system.
   */
  shipToBinaryCache(paths: string[]): Promise<{ paths: string[] }>;
  /** the binary cache's request log: every file a client fetched, from which address */
  binaryCacheRequests(): Promise<{ binary_cache_url: string | null; requests: BinaryCacheRequest[] }>;
  /** every bundle download the deployer served, in the order it served them (its own record) */
  bundleFetches(): Promise<BundleFetch[]>;
  /** `deployer-ctl apply`: make the generated cluster state the applied one (idempotent; prunes what it dropped) */
  applyCluster(state: ClusterState): Promise<ApplyResult>;
  /** the applied cluster state, read back through the admin API */
  appliedCluster(): Promise<AppliedCluster>;
  reportStatus(
    nodeId: string,
    status: { observed: string; generation?: number; target_system?: string; current_system?: string; detail?: string },
  ): Promise<void>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const deployerOperations = [
  'at',
  'putClass',
  'classes',
  'issueBootstrapToken',
  'revokeBootstrapToken',
  'preregister',
  'nodes',
  'inspect',
  'publishDesiredSystem',
  'phoneHome',
  'downloadBundle',
  'bundleFetches',
  'desiredSystem',
  'reportStatus',
  'shipToBinaryCache',
  'binaryCacheRequests',
  'applyCluster',
  'appliedCluster',
] as const satisfies readonly (keyof DeployerPort)[];
