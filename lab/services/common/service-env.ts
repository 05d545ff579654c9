import { z } from 'zod';
import { parseOrExplain } from '../../../profiles/descriptor-schema.ts';

/** The UCP_* environment every lab service is started with (lab/README.md, "Service process contract"). */
const ServiceEnv = z.object({
  UCP_SERVICE: z.string().min(1),
  UCP_NODE: z.string().min(1),
  UCP_LISTEN: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port'),
  UCP_STATE_DIR: z.string().min(1),
  UCP_CLUSTER: z.string().default('{"nodes":[]}'),
  UCP_FAULTS_FILE: z.string().optional(),
});

export interface LabClusterNode {
  name: string;
  role: string;
  address: string;
  services: Record<string, { host: string; port: number; scheme?: string }>;
}

export interface ServiceEnvironment {
  service: string;
  node: string;
  host: string;
  port: number;
  stateDir: string;
  faultsFile: string | undefined;
  cluster: { nodes: LabClusterNode[] };
}

export function readServiceEnv(env: NodeJS.ProcessEnv = process.env): ServiceEnvironment {
  const parsed = parseOrExplain(ServiceEnv, env, 'lab service environment');
  const [host, port] = parsed.UCP_LISTEN.split(':') as [string, string];
  let cluster: { nodes: LabClusterNode[] };
  try {
    cluster = JSON.parse(parsed.UCP_CLUSTER) as { nodes: LabClusterNode[] };
  } catch (err) {
    throw new Error(`invalid lab service environment: UCP_CLUSTER is not JSON (${(err as Error).message})`);
  }
  return {
    service: parsed.UCP_SERVICE,
    node: parsed.UCP_NODE,
    host,
    port: Number(port),
    stateDir: parsed.UCP_STATE_DIR,
    faultsFile: parsed.UCP_FAULTS_FILE,
    cluster,
  };
}
