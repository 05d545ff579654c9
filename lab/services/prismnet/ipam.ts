import { HttpError } from '../common/http-service.ts';

const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export interface Subnet {
  cidr: string;
  network: number;
  prefix: number;
  gateway: string;
}

/** An IPv4 subnet: the network address, prefix and gateway (the first host). */
export function parseSubnet(cidr: string): Subnet {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  const prefix = Number(m?.[2]);
  if (!m || m[1]?.split('.').some((o) => Number(o) > 255) || prefix < 8 || prefix > 29) {
    throw new HttpError(400, `cidr "${cidr}" is not an IPv4 subnet between /8 and /29`);
  }
  const size = 2 ** (32 - prefix);
  const network = toInt(m[1] as string) - (toInt(m[1] as string) % size);
  return { cidr: `${toIp(network)}/${prefix}`, network, prefix, gateway: toIp(network + 1) };
}

/** The lowest free host address after the gateway, or 409 when the subnet is full. */
export function allocate(subnet: Subnet, taken: string[]): string {
  const used = new Set(taken);
  const size = 2 ** (32 - subnet.prefix);
  for (let n = subnet.network + 2; n < subnet.network + size - 1; n++) {
    if (!used.has(toIp(n))) return toIp(n);
  }
  throw new HttpError(409, `subnet ${subnet.cidr} has no free address`);
}

export function contains(subnet: Subnet, ip: string): boolean {
  const n = toInt(ip);
  return n >= subnet.network && n < subnet.network + 2 ** (32 - subnet.prefix);
}
