import type { Endpoint, ServiceName } from '../../../profiles/descriptor-schema.ts';

/** What the lab's HTTP port clients need from a target: where each node's instance of a service listens. */
export interface PortBinding {
  readonly targetName: string;
  /** every node running the service, in topology order */
  instances(service: ServiceName): Array<{ node: string; endpoint: Endpoint }>;
  /** the instance on one node; throws when that node runs no such service */
  on(node: string, service: ServiceName): Endpoint;
  /** the lab controller's loopback API, where host-built closures are shipped into the lab's binary cache */
  readonly controllerUrl?: string;
}

export function baseUrl(endpoint: Endpoint): string {
  const scheme = endpoint.scheme === 'https' ? 'https' : 'http';
  return `${scheme}://${endpoint.host}:${endpoint.port}`;
}
