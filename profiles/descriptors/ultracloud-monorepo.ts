import { join, resolve } from 'node:path';
import {
  type Endpoint,
  type NodeSpec,
  parseOrExplain,
  type ServiceName,
  serviceNames,
  TargetDescriptor,
} from '../descriptor-schema.ts';
import { harnessTopology, type Topology } from '../topology.ts';
import { canonicalTargetAttributes } from './canonical-target-attributes.ts';
import { labExtraPorts, labServicePorts } from './reference-lab.ts';

/**
 * The `ultracloud-monorepo` target (ULTRACLOUD_FLAKE=PATH): the real flake, its six-node harness booted from the
 * generated NixOS VM runners of `./nix/test-cluster`, reached through slirp forwards on 127.0.0.1 only.
 *
 * Host ports: SSH of the n-th node (1-based) on 22300+n; its services on 30000 + 100·n + the service's index in
 * serviceNames; extra listeners on 30000 + 100·n + 50 + their index. Guest ports follow the harness's port plan
 * (labServicePorts) unless `guestPorts` says otherwise; a target whose services listen elsewhere is described in
 * a JSON file instead (ULTRACLOUD_TARGET_DESCRIPTOR).
 */
type HostForward = { protocol: 'tcp' | 'udp'; hostPort: number; guestPort: number };

export interface MonorepoOptions {
  /** the monorepo checkout (ULTRACLOUD_FLAKE) */
  flake: string;
  /** where the VM runners keep state and serial logs (work/) */
  workRoot: string;
  topology?: Topology;
  guestPorts?: Partial<Record<ServiceName, number>>;
}

export const monorepoSshPort = (nodeNumber: number) => 22300 + nodeNumber;
export const monorepoServicePort = (nodeNumber: number, service: ServiceName) =>
  30000 + 100 * nodeNumber + serviceNames.indexOf(service);
export const monorepoExtraPort = (nodeNumber: number, key: keyof typeof labExtraPorts) =>
  30000 + 100 * nodeNumber + 50 + Object.keys(labExtraPorts).indexOf(key);

/** the installable whose output holds bin/run-<node>-vm */
export const vmRunnerAttribute = (flake: string, node: string) =>
  `${flake}/nix/test-cluster#nixosConfigurations.${node}.config.system.build.vm`;

export function ultracloudMonorepoDescriptor(options: MonorepoOptions): TargetDescriptor {
  const flake = resolve(options.flake);
  const topology = options.topology ?? harnessTopology;
  const guestPort = (s: ServiceName) => options.guestPorts?.[s] ?? labServicePorts[s];
  const nodes = topology.map((n, i): NodeSpec => {
    const number = i + 1;
    const forwards: HostForward[] = [{ protocol: 'tcp', hostPort: monorepoSshPort(number), guestPort: 22 }];
    const services: NodeSpec['services'] = {};
    for (const s of n.services) {
      services[s] = { host: '127.0.0.1', port: monorepoServicePort(number, s), scheme: 'http' };
      forwards.push({ protocol: 'tcp', hostPort: monorepoServicePort(number, s), guestPort: guestPort(s) });
    }
    const extraEndpoints: Record<string, Endpoint> = {};
    for (const [key, extra] of Object.entries(labExtraPorts) as Array<[keyof typeof labExtraPorts, Endpoint]>) {
      if (!n.services.includes(key.split('.')[0] as ServiceName)) continue;
      const hostPort = monorepoExtraPort(number, key);
      extraEndpoints[key] = { host: '127.0.0.1', port: hostPort, scheme: extra.scheme };
      forwards.push({ protocol: 'tcp', hostPort, guestPort: extra.port });
      if (extra.scheme === 'dns') forwards.push({ protocol: 'udp', hostPort, guestPort: extra.port });
    }
    return {
      name: n.name,
      role: n.role,
      address: '127.0.0.1',
      launcher: {
        kind: 'nixos-vm-runner',
        attribute: vmRunnerAttribute(flake, n.name),
        qemuOpts: [],
        hostForwards: forwards,
      },
      console: { kind: 'file', path: join(options.workRoot, 'test-cluster', 'state', n.name, 'serial.log') },
      ssh: { host: '127.0.0.1', port: monorepoSshPort(number), user: 'root' },
      services,
      extraEndpoints,
    };
  });
  const descriptor = {
    name: 'ultracloud-monorepo',
    kind: 'ultracloud-monorepo',
    flake,
    attributes: canonicalTargetAttributes(),
    nodes,
  };
  return parseOrExplain(TargetDescriptor, descriptor, 'ultracloud-monorepo target descriptor');
}
