import { callJson, HttpCallError } from '../../../helpers/http.ts';
import { registerSecret } from '../../../helpers/redact.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

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
  desiredSystem(nodeId: string): Promise<DesiredSystem & { node_id: string }>;
  reportStatus(
    nodeId: string,
    status: { observed: string; generation?: number; target_system?: string; current_system?: string; detail?: string },
  ): Promise<void>;
}

export function createDeployerPort(binding: PortBinding, node?: string): DeployerPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (path: string) => `${instanceUrl(binding, 'deployer', node)}/api/v1${path}`;
  const enc = encodeURIComponent;
  const bearer = (token: string | null): Record<string, string> =>
    token === null ? {} : { authorization: `Bearer ${token}` };
  return {
    at: (n) => createDeployerPort(binding, n),
    putClass: (name, spec) => callJson('PUT', url(`/admin/classes/${enc(name)}`), { body: spec }),
    classes: async () => (await callJson<{ classes: NodeClass[] }>('GET', url('/admin/classes'))).classes,
    async issueBootstrapToken() {
      const out = await callJson<{ id: string; token: string }>('POST', url('/admin/bootstrap-tokens'));
      registerSecret(out.token);
      return out;
    },
    async revokeBootstrapToken(id) {
      await callJson('DELETE', url(`/admin/bootstrap-tokens/${enc(id)}`));
    },
    preregister: (request) => callJson('POST', url('/admin/nodes'), { body: request }),
    nodes: async () => (await callJson<{ nodes: DeployerNode[] }>('GET', url('/admin/nodes'))).nodes,
    async inspect(nodeId) {
      try {
        return await callJson('GET', url(`/admin/nodes/${enc(nodeId)}`));
      } catch (err) {
        if (err instanceof HttpCallError && err.status === 404) return null;
        throw err;
      }
    },
    publishDesiredSystem: (nodeId, desired) =>
      callJson('PUT', url(`/admin/nodes/${enc(nodeId)}/desired-system`), { body: desired }),
    phoneHome: (request, token) => callJson('POST', url('/phone-home'), { body: request, headers: bearer(token) }),
    async downloadBundle(nodeClass, token) {
      const target = url(`/bundle/${enc(nodeClass)}`);
      const res = await fetch(target, { headers: bearer(token), signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new HttpCallError('GET', target, res.status, await res.text());
      return Buffer.from(await res.arrayBuffer());
    },
    desiredSystem: (nodeId) => callJson('GET', url(`/nodes/${enc(nodeId)}/desired-system`)),
    async reportStatus(nodeId, status) {
      await callJson('POST', url(`/nodes/${enc(nodeId)}/status`), { body: status });
    },
  };
}

function unbound(binding: PortBinding): DeployerPort {
  const no = (op: string) => () => bindingRequired(binding, 'deployer', op);
  return {
    at: () => unbound(binding),
    putClass: no('putClass'),
    classes: no('classes'),
    issueBootstrapToken: no('issueBootstrapToken'),
    revokeBootstrapToken: no('revokeBootstrapToken'),
    preregister: no('preregister'),
    nodes: no('nodes'),
    inspect: no('inspect'),
    publishDesiredSystem: no('publishDesiredSystem'),
    phoneHome: no('phoneHome'),
    downloadBundle: no('downloadBundle'),
    desiredSystem: no('desiredSystem'),
    reportStatus: no('reportStatus'),
  };
}
