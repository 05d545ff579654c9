import { join } from 'node:path';
import type { NodeConfig, ServiceConfig } from '../node/node-config.ts';
import { nodePaths } from '../node/node-config.ts';
import { binaryCacheDir } from './binary-cache.ts';
import { type LabRuntime, labArgv, labRuntimeEnv } from './lab-build.ts';
import { labTmpDir } from './lab-registry.ts';
import { labHostKeyPath } from './lab-secrets.ts';
import type { LabSpec, LabState } from './lab-spec.ts';

export interface PlacedNode {
  name: string;
  address: string;
  netns: string;
}

/** The cluster every service sees in UCP_CLUSTER: each node's name, role, address and service endpoints. */
export function clusterView(spec: LabSpec, placed: PlacedNode[]): LabState['nodes'] {
  return spec.nodes.map((n, i) => {
    const p = placed[i] as PlacedNode;
    const services: LabState['nodes'][number]['services'] = {};
    for (const s of n.services) {
      const port = spec.servicePorts[s];
      if (port === undefined) throw new Error(`no lab port for service "${s}" (node ${n.name})`);
      services[s] = { host: p.address, port, scheme: 'http' };
    }
    return { name: n.name, role: n.role, address: p.address, netns: p.netns, consolePath: '', services };
  });
}

/** One supervisor config per node: sshd is implicit, every listed service gets the UCP_* environment. */
export function nodeConfigs(options: {
  spec: LabSpec;
  labId: string;
  labDir: string;
  socketDir: string;
  hostsFile: string;
  authorizedKey: string;
  view: LabState['nodes'];
  /** the public key of the lab's binary cache (null: no cache), trusted by every nix-agent */
  cachePublicKey?: string | null;
}): NodeConfig[] {
  const { spec, labId, labDir, view } = options;
  const runtime: LabRuntime = spec.runtime ?? { mode: 'ts', dir: null, compileCache: null, nodeFlags: [] };
  const cluster = JSON.stringify({
    nodes: view.map(({ name, role, address, services }) => ({ name, role, address, services })),
  });
  return spec.nodes.map((n, i) => {
    const v = view[i] as LabState['nodes'][number];
    const nodeDir = join(labDir, 'nodes', n.name);
    const paths = nodePaths(nodeDir);
    v.consolePath = paths.console;
    const services: ServiceConfig[] = n.services.map((s) => {
      const listen = `${v.address}:${spec.servicePorts[s]}`;
      return {
        name: s,
        argv: labArgv(runtime, `lab/services/${s}/main`),
        listen,
        env: {
          PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          HOME: '/root',
          LANG: 'C.UTF-8',
          // the node's own /tmp (its tmpDir, bind-mounted by the supervisor), never the host's
          TMPDIR: '/tmp',
          UCP_LAB_ID: labId,
          UCP_SERVICE: s,
          UCP_NODE: n.name,
          UCP_LISTEN: listen,
          UCP_STATE_DIR: join(paths.state, s),
          UCP_CLUSTER: cluster,
          UCP_FAULTS_FILE: join(paths.faults, `${s}.json`),
          ...labRuntimeEnv(runtime),
          ...serviceCacheEnv(s, labDir, options.cachePublicKey ?? null),
          // the accelerator the harness probed once, so VM services do not each probe again
          ...(process.env.ULTRACLOUD_VM_ACCELERATOR
            ? { ULTRACLOUD_VM_ACCELERATOR: process.env.ULTRACLOUD_VM_ACCELERATOR }
            : {}),
        },
      };
    });
    return {
      labId,
      node: n.name,
      role: n.role,
      address: v.address,
      nodeDir,
      controlSocket: join(options.socketDir, `${n.name}.sock`),
      hostsFile: options.hostsFile,
      tmpDir: join(labTmpDir(labDir), n.name),
      hostKey: labHostKeyPath(labDir, n.name),
      authorizedKey: options.authorizedKey,
      services,
      supervisor: { argv: labArgv(runtime, 'lab/node/supervisor'), env: labRuntimeEnv(runtime) },
      // a node running nix-agent has a Nix store of its own: <node dir>/state/nix, bind-mounted over /nix in the node
      ...(n.services.includes('nix-agent') ? { nixDir: join(paths.state, 'nix') } : {}),
    };
  });
}

/**
 * The binary cache wiring of one service: the deployer serves the lab's cache folder (and hands its URL to nodes
 * with their desired system), nix-agent trusts the lab's cache key.
 */
function serviceCacheEnv(service: string, labDir: string, publicKey: string | null): Record<string, string> {
  if (!publicKey) return {};
  if (service === 'deployer') return { UCP_BINARY_CACHE_DIR: binaryCacheDir(labDir) };
  if (service === 'nix-agent') return { UCP_NIX_AGENT_TRUSTED_PUBLIC_KEYS: publicKey };
  return {};
}
