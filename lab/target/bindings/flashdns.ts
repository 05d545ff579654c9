import { callJson } from '../../../helpers/http.ts';
import { type DnsAnswer, dig } from '../../services/flashdns/dig.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export type { DnsAnswer };
export type DnsRecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT';

export interface DnsRecord {
  id: string;
  /** relative to the zone, "@" for the apex, or absolute with a trailing dot */
  name: string;
  type: DnsRecordType;
  value: string;
  ttl: number;
}

export interface DnsZone {
  name: string;
  serial: number;
  records: DnsRecord[];
}

/** FlashDNS: authoritative zones managed over the API, answered on the wire. */
export interface FlashdnsPort {
  at(node: string): FlashdnsPort;
  /** where the authoritative server answers */
  server(): Promise<{ dnsHost: string; dnsPort: number }>;
  createZone(name: string): Promise<DnsZone>;
  zone(name: string): Promise<DnsZone>;
  deleteZone(name: string): Promise<void>;
  addRecord(
    zone: string,
    record: Omit<DnsRecord, 'id' | 'ttl'> & { ttl?: number },
  ): Promise<{ id: string; serial: number }>;
  removeRecord(zone: string, id: string): Promise<{ serial: number }>;
  /** ask the authoritative server on the wire (dig, no recursion) */
  resolve(name: string, type: DnsRecordType | 'SOA' | 'NS'): Promise<DnsAnswer>;
}

export function createFlashdnsPort(binding: PortBinding, node?: string): FlashdnsPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (path: string) => `${instanceUrl(binding, 'flashdns', node)}/v1${path}`;
  const enc = encodeURIComponent;
  const port: FlashdnsPort = {
    at: (n) => createFlashdnsPort(binding, n),
    server: () => callJson('GET', url('/server')),
    createZone: (name) => callJson('POST', url('/zones'), { body: { name } }),
    zone: (name) => callJson('GET', url(`/zones/${enc(name)}`)),
    deleteZone: async (name) => void (await callJson('DELETE', url(`/zones/${enc(name)}`))),
    addRecord: (zone, record) => callJson('POST', url(`/zones/${enc(zone)}/records`), { body: record }),
    removeRecord: (zone, id) => callJson('DELETE', url(`/zones/${enc(zone)}/records/${enc(id)}`)),
    async resolve(name, type) {
      const { dnsHost, dnsPort } = await port.server();
      const host = dnsHost === '0.0.0.0' ? new URL(instanceUrl(binding, 'flashdns', node)).hostname : dnsHost;
      return await dig(host, dnsPort, name, type);
    },
  };
  return port;
}

function unbound(binding: PortBinding): FlashdnsPort {
  const missing = (operation: string) => () => bindingRequired(binding, 'flashdns', operation);
  return {
    at: () => unbound(binding),
    server: missing('server'),
    createZone: missing('createZone'),
    zone: missing('zone'),
    deleteZone: missing('deleteZone'),
    addRecord: missing('addRecord'),
    removeRecord: missing('removeRecord'),
    resolve: missing('resolve'),
  };
}
