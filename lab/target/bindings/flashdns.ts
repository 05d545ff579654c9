import type { FlashdnsPort } from '../../../contracts/ports/flashdns.ts';
import { callJson } from '../../../helpers/http.ts';
import { dig } from '../../services/flashdns/dig.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createFlashdnsPort(binding: PortBinding, node?: string): FlashdnsPort {
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
