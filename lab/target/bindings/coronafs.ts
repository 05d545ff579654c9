import { type CoronafsPort, SnapshotExportSchema, type Volume } from '../../../contracts/ports/coronafs.ts';
import { callJson, HttpCallError } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createCoronafsPort(binding: PortBinding, node?: string): CoronafsPort {
  const url = (name: string, path = '') =>
    `${instanceUrl(binding, 'coronafs', node)}/v1/volumes${name ? `/${encodeURIComponent(name)}` : ''}${path}`;
  const bytes = async (target: string, init: RequestInit = {}) => {
    const res = await fetch(target, { ...init, signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new HttpCallError(init.method ?? 'GET', target, res.status, await res.json().catch(() => null));
    return res;
  };
  return {
    at: (n) => createCoronafsPort(binding, n),
    createVolume: (name, sizeBytes) => callJson('POST', url(''), { body: { name, sizeBytes } }),
    volume: (name) => callJson('GET', url(name)),
    listVolumes: async () => (await callJson<{ volumes: Volume[] }>('GET', url(''))).volumes,
    attach: (name, n) => callJson('POST', url(name, '/attach'), { body: { node: n } }),
    detach: (name, n) => callJson('POST', url(name, '/detach'), { body: { node: n } }),
    async write(name, n, offset, data) {
      const q = new URLSearchParams({ offset: String(offset), node: n });
      await bytes(url(name, `/data?${q}`), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: typeof data === 'string' ? data : Buffer.from(data),
      });
    },
    async read(name, offset, length, snapshot) {
      const q = new URLSearchParams({ offset: String(offset), length: String(length) });
      if (snapshot !== undefined) q.set('snapshot', snapshot);
      return Buffer.from(await (await bytes(url(name, `/data?${q}`))).arrayBuffer());
    },
    snapshot: (name, snapshot) => callJson('POST', url(name, '/snapshots'), { body: { name: snapshot } }),
    async export(name) {
      const res = await bytes(url(name, '/export'));
      return { image: Buffer.from(await res.arrayBuffer()), sha256: res.headers.get('x-sha256') ?? '' };
    },
    exportSnapshot: (name, snapshot, to) =>
      callJson('POST', url(name, `/snapshots/${encodeURIComponent(snapshot)}/export`), {
        body: to,
        schema: SnapshotExportSchema,
        timeoutMs: 60_000,
      }),
    createVolumeFromObject: (name, from) => callJson('POST', url(''), { body: { name, from }, timeoutMs: 60_000 }),
  };
}
