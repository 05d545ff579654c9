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

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const apigatewayOperations = [
  'at',
  'writeConfig',
  'config',
  'request',
] as const satisfies readonly (keyof ApigatewayPort)[];
