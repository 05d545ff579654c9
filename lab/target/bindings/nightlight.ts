import { callJson } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export interface MetricSample {
  series: string;
  /** milliseconds since the epoch */
  t: number;
  v: number;
}

export interface NightlightStatus {
  /** samples restored at the last start: from the snapshot and replayed from the WAL */
  recovered: { fromSnapshot: number; fromWal: number };
  walBytes: number;
}

/** NightLight: single-node metrics with a WAL and snapshot compaction. */
export interface NightlightPort {
  at(node: string): NightlightPort;
  /** resolves once the samples are acknowledged (durable in the WAL) */
  ingest(samples: MetricSample[]): Promise<{ accepted: number }>;
  query(series: string, range?: { from?: number; to?: number }): Promise<MetricSample[]>;
  series(): Promise<string[]>;
  snapshot(): Promise<{ samples: number; walBytesCompacted: number }>;
  status(): Promise<NightlightStatus>;
}

export function createNightlightPort(binding: PortBinding, node?: string): NightlightPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
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

function unbound(binding: PortBinding): NightlightPort {
  const missing = (operation: string) => () => bindingRequired(binding, 'nightlight', operation);
  return {
    at: () => unbound(binding),
    ingest: missing('ingest'),
    query: missing('query'),
    series: missing('series'),
    snapshot: missing('snapshot'),
    status: missing('status'),
  };
}
