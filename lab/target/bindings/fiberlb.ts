import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { callJson } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

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

export function createFiberlbPort(binding: PortBinding, node?: string): FiberlbPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (path: string) => `${instanceUrl(binding, 'fiberlb', node)}/v1${path}`;
  const enc = encodeURIComponent;
  const backendUrl = (pool: string, backend: string, verb = '') =>
    url(`/pools/${enc(pool)}/backends/${enc(backend)}${verb}`);
  const port: FiberlbPort = {
    at: (n) => createFiberlbPort(binding, n),
    createCertificate: (name, commonName) => callJson('POST', url('/certificates'), { body: { name, commonName } }),
    createPool: async (name, healthCheck) =>
      void (await callJson('POST', url('/pools'), { body: { name, healthCheck } })),
    setBackend: async (pool, b) =>
      void (await callJson('PUT', backendUrl(pool, b.name), { body: { host: b.host, port: b.port } })),
    removeBackend: async (pool, b) => void (await callJson('DELETE', backendUrl(pool, b))),
    drainBackend: async (pool, b) => void (await callJson('POST', backendUrl(pool, b, '/drain'))),
    restoreBackend: async (pool, b) => void (await callJson('POST', backendUrl(pool, b, '/restore'))),
    pool: (name) => callJson('GET', url(`/pools/${enc(name)}`)),
    createListener: (listener) => callJson('POST', url('/listeners'), { body: listener }),
    deleteListener: async (name) => void (await callJson('DELETE', url(`/listeners/${enc(name)}`))),
    listeners: async () => (await callJson<{ listeners: LbListener[] }>('GET', url('/listeners'))).listeners,
    async probe(name, options = {}) {
      const listener = (await port.listeners()).find((l) => l.name === name);
      if (!listener) throw new Error(`fiberlb has no listener "${name}"`);
      return await probeListener(listener, options);
    },
  };
  return port;
}

function probeListener(
  l: LbListener,
  o: { path?: string; servername?: string; timeoutMs?: number },
): Promise<ProbeResult> {
  const tls = l.protocol === 'https' || l.protocol === 'terminated-https';
  const common = {
    host: l.host,
    port: l.port,
    path: o.path ?? '/',
    agent: false as const,
    timeout: o.timeoutMs ?? 5000,
  };
  return new Promise((resolve) => {
    let certificate: ProbeResult['certificate'];
    const req = tls
      ? httpsRequest({ ...common, servername: o.servername ?? (isIP(l.host) ? '' : l.host), rejectUnauthorized: false })
      : httpRequest(common);
    req.on('socket', (socket) => {
      if (!tls) return;
      socket.once('secureConnect', () => {
        const peer = (socket as TLSSocket).getPeerCertificate();
        certificate = {
          subjectCN: String(peer.subject?.CN ?? ''),
          subjectAltName: peer.subjectaltname ?? '',
          fingerprint256: peer.fingerprint256,
        };
      });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ ok: (res.statusCode ?? 0) < 400, status: res.statusCode ?? 0, body, certificate }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${l.host}:${l.port} within ${common.timeout}ms`)));
    req.on('error', (err) => resolve({ ok: false, status: 0, body: '', error: err.message, certificate }));
    req.end();
  });
}

function unbound(binding: PortBinding): FiberlbPort {
  const missing = (operation: string) => () => bindingRequired(binding, 'fiberlb', operation);
  return {
    at: () => unbound(binding),
    createCertificate: missing('createCertificate'),
    createPool: missing('createPool'),
    setBackend: missing('setBackend'),
    removeBackend: missing('removeBackend'),
    drainBackend: missing('drainBackend'),
    restoreBackend: missing('restoreBackend'),
    pool: missing('pool'),
    createListener: missing('createListener'),
    deleteListener: missing('deleteListener'),
    listeners: missing('listeners'),
    probe: missing('probe'),
  };
}
