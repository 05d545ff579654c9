export type ListenerProtocol = 'tcp' | 'http' | 'https' | 'terminated-https';
export type LbHealthCheck =
  | { kind: 'tcp'; intervalMs?: number }
  | { kind: 'http'; path?: string; expectStatus?: number; intervalMs?: number };

export interface LbListener {
  name: string;
  protocol: ListenerProtocol;
  host: string;
  port: number;
  pool: string;
  certificate?: string;
}

export interface LbBackendState {
  name: string;
  host: string;
  port: number;
  drained: boolean;
  /** health as the proxy reports it: UP, DOWN, no check, ... */
  status: string;
  /** the proxy's weight for it: 0 while drained */
  weight: number;
  sessionsTotal: number;
}

/** One request through a listener on a fresh connection; for TLS listeners, the certificate it presented. */
export interface ProbeResult {
  ok: boolean;
  status: number;
  body: string;
  error?: string;
  certificate?: { subjectCN: string; subjectAltName: string; fingerprint256: string };
}

/** FiberLB: listeners, pools, health-checked backends, drain and restore. */
export interface FiberlbPort {
  at(node: string): FiberlbPort;
  createCertificate(
    name: string,
    commonName: string,
  ): Promise<{ name: string; commonName: string; sha256Fingerprint: string }>;
  createPool(name: string, healthCheck?: LbHealthCheck): Promise<void>;
  setBackend(pool: string, backend: { name: string; host: string; port: number }): Promise<void>;
  removeBackend(pool: string, backend: string): Promise<void>;
  drainBackend(pool: string, backend: string): Promise<void>;
  restoreBackend(pool: string, backend: string): Promise<void>;
  pool(name: string): Promise<{ name: string; backends: LbBackendState[] }>;
  createListener(listener: Omit<LbListener, 'host'>): Promise<LbListener>;
  deleteListener(name: string): Promise<void>;
  listeners(): Promise<LbListener[]>;
  /** send one HTTP request through a listener (TLS for https listeners, SNI = servername) */
  probe(listener: string, options?: { path?: string; servername?: string; timeoutMs?: number }): Promise<ProbeResult>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const fiberlbOperations = [
  'at',
  'createCertificate',
  'createPool',
  'setBackend',
  'removeBackend',
  'drainBackend',
  'restoreBackend',
  'pool',
  'createListener',
  'deleteListener',
  'listeners',
  'probe',
] as const satisfies readonly (keyof FiberlbPort)[];
