import { BindingRequiredError } from '../../../contracts/errors.ts';
import type { Endpoint, ServiceName } from '../../../profiles/descriptor-schema.ts';

/**
 * What a service port needs from a target: where each node's instance of a service listens. A port client built
 * on the "ultracloud-monorepo" binding throws BindingRequiredError for every operation it cannot yet perform.
 */
export interface PortBinding {
  readonly kind: 'reference-lab' | 'ultracloud-monorepo';
  readonly targetName: string;
  /** every node running the service, in topology order */
  instances(service: ServiceName): Array<{ node: string; endpoint: Endpoint }>;
  /** the instance on one node; throws when that node runs no such service */
  on(node: string, service: ServiceName): Endpoint;
}

export function bindingRequired(binding: PortBinding, service: ServiceName, operation: string): never {
  throw new BindingRequiredError(service, operation, binding.targetName);
}

export function baseUrl(endpoint: Endpoint): string {
  const scheme = endpoint.scheme === 'https' ? 'https' : 'http';
  return `${scheme}://${endpoint.host}:${endpoint.port}`;
}
