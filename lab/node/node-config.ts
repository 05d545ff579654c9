import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One process the supervisor runs: a lab service (or sshd), with its full argv and environment. */
export interface ServiceConfig {
  name: string;
  argv: string[];
  env: Record<string, string>;
  /** where it serves (host:port); readiness is its ready marker, health its GET /health */
  listen: string;
}

/** Everything a node supervisor needs, written by the controller to nodes/<node>/node.json. */
export interface NodeConfig {
  labId: string;
  node: string;
  role: string;
  address: string;
  /** work/lab/<lab-id>/nodes/<node> */
  nodeDir: string;
  controlSocket: string;
  /** file bind-mounted over /etc/hosts inside the node */
  hostsFile: string;
  /** the node's private temporary folder (work/lab/<lab-id>/tmp/<node>), bind-mounted over /tmp inside the node */
  tmpDir: string;
  /** the node's dropbear host key, in the lab's secrets folder (created on first boot, removed with the lab) */
  hostKey: string;
  /** the lab's public key, installed as root's authorized key inside the node */
  authorizedKey: string;
  services: ServiceConfig[];
  /** the supervisor's own command line (node, flags, entry) and the environment it adds (the compile cache) */
  supervisor?: { argv: string[]; env: Record<string, string> };
  /** the node's own Nix store (nodes running nix-agent): bind-mounted over /nix inside the node */
  nixDir?: string;
}

export const nodePaths = (nodeDir: string) => ({
  config: join(nodeDir, 'node.json'),
  console: join(nodeDir, 'console.log'),
  logs: join(nodeDir, 'logs'),
  state: join(nodeDir, 'state'),
  faults: join(nodeDir, 'faults'),
  root: join(nodeDir, 'root'),
  bootCount: join(nodeDir, 'boot-count'),
  supervisorLog: join(nodeDir, 'supervisor.log'),
});

export function readNodeConfig(path: string): NodeConfig {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as NodeConfig;
  } catch (err) {
    throw new Error(`cannot read node config "${path}": ${(err as Error).message}`);
  }
}
