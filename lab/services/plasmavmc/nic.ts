import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { VmNic } from '../../../contracts/ports/plasmavmc.ts';
import { HttpCallError, requestJson } from '../../../helpers/http.ts';
import { HttpError } from '../common/http-service.ts';
import type { ServiceEnvironment } from '../common/service-env.ts';

const run = promisify(execFile);

const PrismnetPort = z.object({ id: z.string(), network: z.string(), ip: z.string() });
const PrismnetNetworks = z.object({
  networks: z.array(z.object({ id: z.string(), cidr: z.string(), gateway: z.string(), bridge: z.string() })),
});

function localService(env: ServiceEnvironment, service: string): string {
  const endpoint = env.cluster.nodes.find((n) => n.name === env.node)?.services[service];
  if (!endpoint) throw new HttpError(400, `port: ${env.node} runs no ${service} to attach a VM's port from`);
  return `http://${endpoint.host}:${endpoint.port}`;
}

/** The PrismNet port `portId` as this worker's PrismNet holds it, and the NIC a VM on it gets (400 naming `port`). */
export async function resolveNic(env: ServiceEnvironment, vmId: string, portId: string): Promise<VmNic> {
  const prismnet = localService(env, 'prismnet');
  let port: z.infer<typeof PrismnetPort>;
  try {
    port = PrismnetPort.parse(await requestJson('GET', `${prismnet}/v1/ports/${encodeURIComponent(portId)}`));
  } catch (err) {
    if (err instanceof HttpCallError && err.status === 404) {
      throw new HttpError(400, `port: no PrismNet port "${portId}" on ${env.node}`);
    }
    throw err;
  }
  const { networks } = PrismnetNetworks.parse(await requestJson('GET', `${prismnet}/v1/networks`));
  const network = networks.find((n) => n.id === port.network);
  if (!network) throw new HttpError(400, `port: the network of PrismNet port "${portId}" is not on ${env.node}`);
  const mac = createHash('sha256').update(port.id).digest('hex').slice(0, 6).match(/../g) as string[];
  return {
    port: port.id,
    network: network.id,
    bridge: network.bridge,
    tap: `vt${vmId.slice(0, 12)}`,
    mac: `52:54:00:${mac.join(':')}`,
    ip: port.ip,
    prefix: Number(network.cidr.split('/')[1]),
    gateway: network.gateway,
  };
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 15_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`"ip ${args.join(' ')}" failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/**
 * The VM's tap: created when missing, enslaved to the port's tenant bridge and up. `attach: false` leaves it
 * outside any bridge (fault tap-not-attached).
 */
export async function ensureTap(nic: VmNic, attach: boolean): Promise<void> {
  const exists = await run('ip', ['link', 'show', 'dev', nic.tap]).then(
    () => true,
    () => false,
  );
  if (!exists) await ip('tuntap', 'add', 'dev', nic.tap, 'mode', 'tap');
  if (attach) await ip('link', 'set', 'dev', nic.tap, 'master', nic.bridge);
  else await ip('link', 'set', 'dev', nic.tap, 'nomaster');
  await ip('link', 'set', 'dev', nic.tap, 'up');
}

export async function removeTap(nic: VmNic): Promise<void> {
  await run('ip', ['link', 'del', 'dev', nic.tap]).catch(() => undefined);
}

/** LightningStor's endpoint in this cluster (host:port), for a VM that keeps its state there. */
export function lightningstorEndpoint(env: ServiceEnvironment): string {
  for (const node of env.cluster.nodes) {
    const endpoint = node.services.lightningstor;
    if (endpoint) return `${endpoint.host}:${endpoint.port}`;
  }
  throw new HttpError(400, 'stateBucket: this cluster runs no lightningstor to keep the VM state in');
}
