export interface DnsAnswer {
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ... */
  status: string;
  /** header flags as dig prints them: qr, aa, rd, ... */
  flags: string[];
  authoritative: boolean;
  answers: Array<{ name: string; ttl: number; type: string; value: string }>;
}
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

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const flashdnsOperations = [
  'at',
  'server',
  'createZone',
  'zone',
  'deleteZone',
  'addRecord',
  'removeRecord',
  'resolve',
] as const satisfies readonly (keyof FlashdnsPort)[];
