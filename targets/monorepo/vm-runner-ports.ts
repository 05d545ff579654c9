import { HarnessError } from '../../contracts/errors.ts';
import type { Endpoint, NodeSpec } from '../../profiles/descriptor-schema.ts';

type Forward = { protocol: 'tcp' | 'udp'; hostPort: number; guestPort: number };

/** The slirp forwards of a nixos-vm-runner node (the descriptor's launcher.hostForwards). */
export function nodeForwards(node: NodeSpec): Forward[] {
  if (node.launcher.kind !== 'nixos-vm-runner') {
    throw new HarnessError(`node ${node.name} is launched by "${node.launcher.kind}", not by a nixos-vm-runner`);
  }
  return node.launcher.hostForwards ?? [];
}

/** QEMU_NET_OPTS for the forwards: loopback only. */
export function qemuNetOpts(forwards: readonly Forward[]): string {
  return forwards.map((f) => `hostfwd=${f.protocol}:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join(',');
}

/**
 * The same node with every host port (SSH, services, extra listeners, forwards) moved by `offset`, so a run can
 * sit beside another one on the same host.
 */
export function shiftHostPorts(node: NodeSpec, offset: number): NodeSpec {
  if (offset === 0) return node;
  const move = (port: number) => {
    const moved = port + offset;
    if (moved < 1 || moved > 65535) throw new HarnessError(`host port ${port} + offset ${offset} is out of range`);
    return moved;
  };
  const endpoint = (e: Endpoint): Endpoint => (e.host === '127.0.0.1' ? { ...e, port: move(e.port) } : e);
  const map = <T extends Record<string, Endpoint | undefined>>(r: T | undefined) =>
    r && (Object.fromEntries(Object.entries(r).map(([k, e]) => [k, e && endpoint(e)])) as T);
  const launcher =
    node.launcher.kind === 'nixos-vm-runner'
      ? {
          ...node.launcher,
          hostForwards: nodeForwards(node).map((f) => ({ ...f, hostPort: move(f.hostPort) })),
        }
      : node.launcher;
  return {
    ...node,
    launcher,
    ssh: { ...node.ssh, port: move(node.ssh.port) },
    services: map(node.services) ?? {},
    extraEndpoints: map(node.extraEndpoints),
  };
}
