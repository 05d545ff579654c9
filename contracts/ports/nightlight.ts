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

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const nightlightOperations = [
  'at',
  'ingest',
  'query',
  'series',
  'snapshot',
  'status',
] as const satisfies readonly (keyof NightlightPort)[];
