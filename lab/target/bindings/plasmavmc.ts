import { AbortError } from 'p-retry';
import type { PlasmavmcPort, Vm } from '../../../contracts/ports/plasmavmc.ts';
import { callJson, HttpCallError } from '../../../helpers/http.ts';
import { eventually } from '../../../helpers/retry.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createPlasmavmcPort(binding: PortBinding, node?: string): PlasmavmcPort {
  const url = (path: string) => `${instanceUrl(binding, 'plasmavmc', node)}${path}`;
  const vmUrl = (id: string, rest = '') => url(`/v1/vms/${encodeURIComponent(id)}${rest}`);
  const port: PlasmavmcPort = {
    at: (n) => createPlasmavmcPort(binding, n),
    worker: () => callJson('GET', url('/v1/worker')),
    workers: () =>
      Promise.all(binding.instances('plasmavmc').map((i) => createPlasmavmcPort(binding, i.node).worker())),
    createVm: (spec) => callJson('POST', url('/v1/vms'), { body: spec, timeoutMs: 120_000 }),
    listVms: async () => (await callJson<{ vms: Vm[] }>('GET', url('/v1/vms'))).vms,
    async vm(id) {
      try {
        return await callJson<Vm>('GET', vmUrl(id));
      } catch (err) {
        if (err instanceof HttpCallError && err.status === 404) return null;
        throw err;
      }
    },
    startVm: (id) => callJson('POST', vmUrl(id, '/start'), { timeoutMs: 120_000 }),
    stopVm: (id) => callJson('POST', vmUrl(id, '/stop'), { timeoutMs: 60_000 }),
    restartVm: (id) => callJson('POST', vmUrl(id, '/restart'), { timeoutMs: 120_000 }),
    deleteVm: async (id) => void (await callJson('DELETE', vmUrl(id), { timeoutMs: 60_000 })),
    console: (id) => callJson('GET', vmUrl(id, '/console')).then((t) => (typeof t === 'string' ? t : '')),
    migrateVm: (id, destination) =>
      callJson('POST', vmUrl(id, '/migrate'), { body: { destination }, timeoutMs: 300_000 }),
    waitForState: (id, state, timeoutMs = 300_000) =>
      eventually(
        async () => {
          const vm = await callJson<Vm>('GET', vmUrl(id));
          // a failed VM will not get there: stop retrying (the wait error carries this message)
          if (vm.state === 'failed' && state !== 'failed') {
            throw new AbortError(`VM ${vm.name} failed: ${vm.detail ?? 'no detail'}`);
          }
          if (vm.state !== state) throw new Error(`VM ${vm.name} is ${vm.state}`);
          return vm;
        },
        { timeoutMs, maxIntervalMs: 500, what: `VM ${id} ${state}` },
      ),
  };
  return port;
}
