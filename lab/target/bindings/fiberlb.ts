import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FiberlbPort, LbListener, ProbeResult } from '../../../contracts/ports/fiberlb.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createFiberlbPort(binding: PortBinding, node?: string): FiberlbPort {
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
