import { randomUUID } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { HttpError } from '../common/http-service.ts';

const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const isHostname = (s: string) =>
  s
    .replace(/\.$/, '')
    .split('.')
    .every((p) => label.test(p));

export const RecordInput = z
  .object({
    /** relative to the zone ("www"), "@" for the apex, or absolute with a trailing dot */
    name: z
      .string()
      .min(1)
      .refine((n) => n === '@' || isHostname(n), 'not a DNS name'),
    type: z.enum(['A', 'AAAA', 'CNAME', 'TXT']),
    value: z.string().min(1).max(255),
    ttl: z.number().int().min(0).max(86_400).default(30),
  })
  .refine((r) => r.type !== 'A' || isIPv4(r.value), { message: 'an A record holds an IPv4 address', path: ['value'] })
  .refine((r) => r.type !== 'AAAA' || isIPv6(r.value), {
    message: 'an AAAA record holds an IPv6 address',
    path: ['value'],
  })
  .refine((r) => r.type !== 'CNAME' || isHostname(r.value), {
    message: 'a CNAME points at a DNS name',
    path: ['value'],
  });
export type RecordInput = z.infer<typeof RecordInput>;
export type DnsRecord = RecordInput & { id: string };

export interface Zone {
  name: string;
  serial: number;
  records: DnsRecord[];
}

export function validZoneName(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!n.includes('.') || !isHostname(n)) throw new HttpError(400, `invalid zone name "${name}"`);
  return n;
}

export function newRecord(input: RecordInput): DnsRecord {
  return { ...input, id: randomUUID() };
}

/** The zone file NSD loads: SOA and NS at the apex (ns1 is this server), then the zone's records. */
export function renderZoneFile(zone: Zone, nsAddress: string): string {
  const lines = [
    `$ORIGIN ${zone.name}.`,
    '$TTL 30',
    `@ IN SOA ns1.${zone.name}. hostmaster.${zone.name}. ${zone.serial} 60 30 600 30`,
    `@ IN NS ns1.${zone.name}.`,
    `ns1 IN ${isIPv6(nsAddress) ? 'AAAA' : 'A'} ${nsAddress}`,
  ];
  for (const r of zone.records) {
    const value = r.type === 'TXT' ? `"${r.value.replace(/["\\]/g, (c) => `\\${c}`)}"` : r.value;
    lines.push(`${r.name} ${r.ttl} IN ${r.type} ${value}`);
  }
  return `${lines.join('\n')}\n`;
}
