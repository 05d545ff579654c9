import type { MetricSample, NightlightPort } from '../../../contracts/ports/nightlight.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createNightlightPort(binding: PortBinding, node?: string): NightlightPort {
  const url = (path: string) => `${instanceUrl(binding, 'nightlight', node)}/v1${path}`;
  return {
    at: (n) => createNightlightPort(binding, n),
    ingest: (samples) => callJson('POST', url('/samples'), { body: { samples } }),
    async query(series, range = {}) {
      const q = new URLSearchParams({ series });
      if (range.from !== undefined) q.set('from', String(range.from));
      if (range.to !== undefined) q.set('to', String(range.to));
      return (await callJson<{ samples: MetricSample[] }>('GET', url(`/query?${q}`))).samples;
    },
    series: async () => (await callJson<{ series: string[] }>('GET', url('/series'))).series,
    snapshot: () => callJson('POST', url('/snapshot')),
    status: () => callJson('GET', url('/status')),
  };
}
