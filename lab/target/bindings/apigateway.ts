import { callJson } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export interface GatewayRoute {
  /** path prefix, starting and ending with "/" (stripped before proxying) */
  prefix: string;
  service: string;
}

export interface GatewayConfig {
  routes: GatewayRoute[];
  apiKeys: string[];
}

export interface GatewayAnswer {
  status: number;
  /** parsed JSON when the answer is JSON, else text */
  body: unknown;
  /** "<service>@<host:port>" the gateway proxied to; null when it answered itself */
  upstream: string | null;
}

/** APIGateway: path-prefix routing with API-key checks; configuration rollout is restart-based. */
export interface ApigatewayPort {
  at(node: string): ApigatewayPort;
  /** write the gateway configuration; it takes effect when the gateway restarts */
  writeConfig(config: GatewayConfig): Promise<{ pendingRestart: boolean }>;
  /** the running configuration (key count only) and whether a written one awaits a restart */
  config(): Promise<{ routes: GatewayRoute[]; apiKeyCount: number; pendingRestart: boolean }>;
  /** send a request through the gateway */
  request(method: string, path: string, options?: { apiKey?: string; body?: unknown }): Promise<GatewayAnswer>;
}

export function createApigatewayPort(binding: PortBinding, node?: string): ApigatewayPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const base = () => instanceUrl(binding, 'apigateway', node);
  return {
    at: (n) => createApigatewayPort(binding, n),
    writeConfig: (config) => callJson('PUT', `${base()}/_gateway/config`, { body: config }),
    config: () => callJson('GET', `${base()}/_gateway/config`),
    async request(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base()}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body, upstream: res.headers.get('x-apigateway-upstream') };
    },
  };
}

function unbound(binding: PortBinding): ApigatewayPort {
  const missing = (operation: string) => () => bindingRequired(binding, 'apigateway', operation);
  return {
    at: () => unbound(binding),
    writeConfig: missing('writeConfig'),
    config: missing('config'),
    request: missing('request'),
  };
}
