import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HarnessError } from '../../contracts/errors.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { type ServiceName, serviceNames } from '../../profiles/descriptor-schema.ts';
import type { FaultSetting, LabNodeSpec } from './lab-spec.ts';

export type FaultCatalogue = Record<string, { breaks: string }>;

export function serviceMain(service: string): string {
  return join(projectRoot, 'lab/services', service, 'main.ts');
}

/** A service's fault catalogue: the object exported by lab/services/<service>/faults.ts whose entries name what they break. */
export async function loadFaultCatalogue(service: string): Promise<FaultCatalogue> {
  const file = join(projectRoot, 'lab/services', service, 'faults.ts');
  if (!existsSync(file)) return {};
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  for (const value of Object.values(mod)) {
    if (value && typeof value === 'object' && Object.values(value).every((v) => typeof v?.breaks === 'string')) {
      return value as FaultCatalogue;
    }
  }
  throw new HarnessError(`${file} exports no fault catalogue ({ "<fault>": { breaks: "..." } })`);
}

/** Parse ULTRACLOUD_LAB_FAULTS=<service>:<fault>[@node],... */
export function parseFaultList(raw: string | undefined, variable = 'ULTRACLOUD_LAB_FAULTS'): FaultSetting[] {
  if (!raw?.trim()) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const m = /^([a-z0-9-]+):([a-z0-9-]+)(?:@([a-z0-9-]+))?$/.exec(item);
      if (!m) throw new HarnessError(`${variable}: "${item}" is not <service>:<fault>[@<node>]`);
      const service = m[1] as string;
      if (!(serviceNames as readonly string[]).includes(service)) {
        throw new HarnessError(
          `${variable}: unknown service "${service}" in "${item}"; known: ${serviceNames.join(', ')}`,
        );
      }
      return { service: service as ServiceName, fault: m[2] as string, ...(m[3] ? { node: m[3] } : {}) };
    });
}

/** Check every fault against its service's catalogue and the lab's nodes: an unknown one is named in the error. */
export async function validateFaults(faults: FaultSetting[], nodes: LabNodeSpec[]): Promise<void> {
  for (const f of faults) {
    const runners = nodes.filter((n) => n.services.includes(f.service));
    if (runners.length === 0)
      throw new HarnessError(`fault ${f.service}:${f.fault}: no lab node runs service "${f.service}"`);
    if (f.node && !runners.some((n) => n.name === f.node)) {
      throw new HarnessError(`fault ${f.service}:${f.fault}@${f.node}: node "${f.node}" does not run "${f.service}"`);
    }
    const catalogue = await loadFaultCatalogue(f.service);
    if (!Object.hasOwn(catalogue, f.fault)) {
      const known = Object.keys(catalogue).join(', ') || '(none)';
      throw new HarnessError(`unknown fault "${f.fault}" for service "${f.service}"; known: ${known}`);
    }
  }
}
