import { BindingRequiredError } from '../errors.ts';
import {
  navigationOperations,
  type OperationName,
  operationName,
  type PortKey,
  portOperations,
  type ServicePorts,
} from './index.ts';

/**
 * The one stand-in for an operation a target does not bind: calling it rejects with BindingRequiredError naming
 * `service.operation` and the target; `at(node)` answers the same unbound port. Every port of every target that
 * lacks a binding is this, so no service carries a stub of its own.
 */
export function unboundPort<K extends PortKey>(key: K, targetName: string): ServicePorts[K] {
  const port: Record<string, unknown> = {};
  for (const op of portOperations[key] as readonly string[]) {
    port[op] = navigationOperations.includes(op)
      ? () => port
      : () => Promise.reject(new BindingRequiredError(operationName(key, op), targetName));
  }
  return Object.freeze(port) as unknown as ServicePorts[K];
}

/** Marks an operation as unbound so a bindings check can list it without calling it. */
export function unboundOperations(ports: Partial<Record<PortKey, object>>, keys: readonly PortKey[]): OperationName[] {
  return keys.flatMap((key) => {
    const port = ports[key] as Record<string, unknown> | undefined;
    return (portOperations[key] as readonly string[])
      .filter((op) => !navigationOperations.includes(op) && (!port || typeof port[op] !== 'function'))
      .map((op) => operationName(key, op));
  });
}
