import { pathToFileURL } from 'node:url';
import type { BaremetalBindings, BaremetalDeployerBinding } from '../contracts/baremetal-target.ts';
import { BindingRequiredError, HarnessError } from '../contracts/errors.ts';
import {
  navigationOperations,
  type OperationName,
  operationName,
  type PortKey,
  portOperations,
  portServices,
  type ServicePorts,
} from '../contracts/ports/index.ts';
import type { BindingsContext, BindingsFactory } from '../contracts/target.ts';
import { InvalidInputError } from '../profiles/descriptor-schema.ts';

type AnyPort = Record<string, unknown>;
const portKeys = Object.keys(portServices) as PortKey[];
const keyOfService = new Map<string, PortKey>(portKeys.map((k) => [portServices[k], k]));

/**
 * Check a set of port bindings against the contracts: only known services, only their operations, only functions.
 * `origin` names where they came from in the error (`bindings module /x/y.ts`).
 */
export function checkBindings(ports: unknown, origin: string): Partial<ServicePorts> {
  if (!ports || typeof ports !== 'object') throw new InvalidInputError(`${origin} bound no ports object`, ['bindings']);
  for (const [key, port] of Object.entries(ports)) {
    if (!portKeys.includes(key as PortKey)) {
      throw new InvalidInputError(`${origin}: "${key}" is not a service port (one of ${portKeys.join(', ')})`, [
        `bindings.${key}`,
      ]);
    }
    if (!port || typeof port !== 'object') {
      throw new InvalidInputError(`${origin}: ${key} is not an object of operations`, [`bindings.${key}`]);
    }
    const known = portOperations[key as PortKey] as readonly string[];
    for (const [op, fn] of Object.entries(port)) {
      if (!known.includes(op)) {
        throw new InvalidInputError(`${origin}: ${key}.${op} is not an operation of the ${key} port`, [
          `bindings.${key}.${op}`,
        ]);
      }
      if (typeof fn !== 'function') {
        throw new InvalidInputError(`${origin}: ${key}.${op} is not a function`, [`bindings.${key}.${op}`]);
      }
    }
  }
  return ports as Partial<ServicePorts>;
}

/** Load a bindings module (its default export: a BindingsFactory or a ports object) and check what it binds. */
export async function loadBindingsModule(path: string, context: BindingsContext): Promise<Partial<ServicePorts>> {
  const origin = `bindings module ${path}`;
  let mod: { default?: BindingsFactory | Partial<ServicePorts> };
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (err) {
    throw new InvalidInputError(`${origin} cannot be loaded: ${(err as Error).message}`, ['bindings']);
  }
  const exported = mod.default;
  if (exported === undefined) throw new InvalidInputError(`${origin} has no default export`, ['bindings']);
  const ports = typeof exported === 'function' ? await exported(context) : exported;
  return checkBindings(ports, origin);
}

/**
 * The bare-metal deployer binding a bindings module exports as `baremetalDeployer` (optional: undefined when the
 * module binds none). Anything else under that name is bad input naming the field.
 */
export async function loadBaremetalBindings(path: string): Promise<BaremetalBindings> {
  const origin = `bindings module ${path}`;
  let mod: { baremetalDeployer?: unknown };
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (err) {
    throw new InvalidInputError(`${origin} cannot be loaded: ${(err as Error).message}`, ['bindings']);
  }
  if (mod.baremetalDeployer === undefined) return {};
  if (typeof mod.baremetalDeployer !== 'function') {
    throw new InvalidInputError(`${origin}: baremetalDeployer is not a function`, ['bindings.baremetalDeployer']);
  }
  return { deployer: mod.baremetalDeployer as BaremetalDeployerBinding };
}

export interface AssembledPorts {
  ports: ServicePorts;
  /** of the named `service.operation`s, those no layer binds */
  unbound(operations: readonly string[]): OperationName[];
}

/**
 * Every port of a target, assembled from layers (the driver's, then a bindings module's; a later layer wins per
 * operation). An operation no layer binds rejects with BindingRequiredError; `at(node)` keeps the layering.
 * `onCall` sees every bound call as `service.operation` (for a lane's declared bindings).
 */
export function assemblePorts(
  targetName: string,
  layers: ReadonlyArray<Partial<ServicePorts>>,
  onCall?: (operation: OperationName) => void,
): AssembledPorts {
  const build = (key: PortKey, sources: AnyPort[]): AnyPort => {
    const port: AnyPort = {};
    for (const op of portOperations[key] as readonly string[]) {
      if (navigationOperations.includes(op)) {
        port[op] = (...args: unknown[]) =>
          build(
            key,
            sources.map((s) =>
              typeof s[op] === 'function' ? ((s[op] as (...a: unknown[]) => AnyPort)(...args) ?? s) : s,
            ),
          );
        continue;
      }
      const source = [...sources].reverse().find((s) => typeof s[op] === 'function');
      const name = operationName(key, op);
      port[op] = source
        ? (...args: unknown[]) => {
            onCall?.(name);
            return (source[op] as (...a: unknown[]) => unknown).apply(source, args);
          }
        : () => Promise.reject(new BindingRequiredError(name, targetName));
    }
    return Object.freeze(port);
  };
  const ports = Object.fromEntries(
    portKeys.map((key) => [
      key,
      build(
        key,
        layers.map((l) => l[key] as AnyPort | undefined).filter((p) => !!p),
      ),
    ]),
  ) as unknown as ServicePorts;
  const boundOps = new Set<string>();
  for (const key of portKeys) {
    for (const op of portOperations[key] as readonly string[]) {
      if (layers.some((l) => typeof (l[key] as AnyPort | undefined)?.[op] === 'function')) {
        boundOps.add(operationName(key, op));
      }
    }
  }
  return {
    ports,
    unbound: (operations) => operations.map((o) => checkedOperation(o)).filter((o) => !boundOps.has(o)),
  };
}

/** A declared `service.operation` must name a real one: a typo in a lane's `requires` is the harness's fault. */
export function checkedOperation(operation: string): OperationName {
  const dot = operation.indexOf('.');
  const key = keyOfService.get(operation.slice(0, dot));
  const op = operation.slice(dot + 1);
  if (
    dot < 0 ||
    !key ||
    !(portOperations[key] as readonly string[]).includes(op) ||
    navigationOperations.includes(op)
  ) {
    throw new HarnessError(`"${operation}" names no service operation (service.operation, e.g. chainfire.put)`);
  }
  return operation as OperationName;
}
