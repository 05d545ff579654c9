import type { Backend, Certificate, LbState, Listener, Pool } from './lb-model.ts';

export interface RenderOptions {
  bindHost: string;
  statsSocket: string;
  /** the certificate a TLS listener presents when its own is swapped out (fault wrong-certificate) */
  wrongCertificate: Certificate;
  faults: {
    wrongCertificate: boolean;
    drainIgnored: boolean;
    healthCheckBlind: boolean;
    terminatedHttpsAsHttps: boolean;
  };
}

/** Render haproxy.cfg: one frontend per listener, one backend per listener's pool. */
export function renderHaproxyConfig(state: LbState, o: RenderOptions): string {
  const lines = [
    'global',
    `  stats socket ${o.statsSocket} mode 600 level admin expose-fd listeners`,
    '  log stdout format raw local0 notice',
    'defaults',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  log global',
  ];
  for (const listener of Object.values(state.listeners)) {
    const pool = state.pools[listener.pool];
    if (!pool) continue;
    lines.push(...frontend(listener, state, o), ...backend(listener, pool, o));
  }
  return `${lines.join('\n')}\n`;
}

/** Https is terminated and proxied at L7 (headers added); TerminatedHttps is terminated and relayed as a byte stream. */
function layer(l: Listener, o: RenderOptions): 'tcp' | 'http' {
  if (l.protocol === 'terminated-https' && o.faults.terminatedHttpsAsHttps) return 'http';
  return l.protocol === 'http' || l.protocol === 'https' ? 'http' : 'tcp';
}

function frontend(l: Listener, state: LbState, o: RenderOptions): string[] {
  const cert = o.faults.wrongCertificate ? o.wrongCertificate : state.certificates[l.certificate ?? ''];
  const tls = l.protocol === 'https' || l.protocol === 'terminated-https';
  return [
    `frontend lst-${l.name}`,
    `  mode ${layer(l, o)}`,
    `  bind ${o.bindHost}:${l.port}${tls && cert ? ` ssl crt ${cert.pemPath}` : ''}`,
    ...(layer(l, o) === 'http'
      ? ['  option forwardfor', `  http-request set-header X-Forwarded-Proto ${tls ? 'https' : 'http'}`]
      : []),
    `  default_backend pool-${l.name}`,
  ];
}

function backend(l: Listener, pool: Pool, o: RenderOptions): string[] {
  const hc = pool.healthCheck;
  const checks = !o.faults.healthCheckBlind;
  const out = [`backend pool-${l.name}`, `  mode ${layer(l, o)}`, '  balance roundrobin'];
  if (checks && hc.kind === 'http')
    out.push(`  option httpchk GET ${hc.path}`, `  http-check expect status ${hc.expectStatus}`);
  for (const b of pool.backends) out.push(`  ${server(b, checks ? hc.intervalMs : 0, o.faults.drainIgnored)}`);
  return out;
}

function server(b: Backend, intervalMs: number, drainIgnored: boolean): string {
  const check = intervalMs > 0 ? ` check inter ${intervalMs} fall 2 rise 2` : '';
  const weight = b.drained && !drainIgnored ? ' weight 0' : '';
  return `server ${b.name} ${b.host}:${b.port}${check}${weight}`;
}
