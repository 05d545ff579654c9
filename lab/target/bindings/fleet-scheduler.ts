import type { FleetNode, FleetSchedulerPort, FleetService } from '../../../contracts/ports/fleet-scheduler.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createFleetSchedulerPort(binding: PortBinding, node?: string): FleetSchedulerPort {
  const url = (path: string) => `${instanceUrl(binding, 'fleet-scheduler', node)}/api/v1${path}`;
  const enc = encodeURIComponent;
  return {
    at: (n) => createFleetSchedulerPort(binding, n),
    putService: (name, spec) => callJson('PUT', url(`/services/${enc(name)}`), { body: spec }),
    async deleteService(name) {
      await callJson('DELETE', url(`/services/${enc(name)}`));
    },
    services: async () => (await callJson<{ services: FleetService[] }>('GET', url('/services'))).services,
    nodes: async () => (await callJson<{ nodes: FleetNode[] }>('GET', url('/nodes'))).nodes,
    placements: () => callJson('GET', url('/placements')),
    drain: (n) => callJson('POST', url(`/nodes/${enc(n)}/drain`)),
    activate: (n) => callJson('POST', url(`/nodes/${enc(n)}/activate`)),
    events: async () =>
      (await callJson<{ events: Array<{ at: string; kind: string; detail: string }> }>('GET', url('/events'))).events,
  };
}
