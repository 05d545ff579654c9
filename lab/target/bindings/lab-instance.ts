import type { ServiceName } from '../../../profiles/descriptor-schema.ts';
import { baseUrl, type PortBinding } from './binding.ts';

/**
 * The base URL of one instance of a service: the named node's, or the first in topology order. Resolved per call,
 * so a port can be built before the cluster runs the service.
 */
export function instanceUrl(binding: PortBinding, service: ServiceName, node?: string): string {
  if (node) return baseUrl(binding.on(node, service));
  const first = binding.instances(service)[0];
  if (!first) throw new Error(`target ${binding.targetName} runs no ${service} instance`);
  return baseUrl(first.endpoint);
}
