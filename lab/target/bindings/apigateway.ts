import type { ApigatewayPort } from '../../../contracts/ports/apigateway.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createApigatewayPort(binding: PortBinding, node?: string): ApigatewayPort {
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
