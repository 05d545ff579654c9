import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BindingRequiredError } from '../../contracts/errors.ts';
import { type PortKey, portOperations, portServices } from '../../contracts/ports/index.ts';
import { assemblePorts, checkBindings, loadBindingsModule } from '../../harness/ports.ts';
import { InvalidInputError } from '../../profiles/descriptor-schema.ts';
import { referenceLabDescriptor } from '../../profiles/descriptors/reference-lab.ts';
import { loadDescriptorFile } from '../../profiles/load-descriptor.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

const repoRoot = new URL('../../', import.meta.url).pathname;

describe('one generic piece for unbound operations', () => {
  it('every operation of every port rejects with binding-required naming service.operation', async () => {
    const { ports, unbound } = assemblePorts('bare-target', []);
    let count = 0;
    for (const key of Object.keys(portServices) as PortKey[]) {
      for (const op of portOperations[key] as readonly string[]) {
        if (op === 'at') continue;
        const fn = (ports[key] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op];
        const err = await (fn as () => Promise<unknown>)().catch((e: unknown) => e);
        expect(err, `${key}.${op}`).toBeInstanceOf(BindingRequiredError);
        expect((err as BindingRequiredError).operation).toBe(`${portServices[key]}.${op}`);
        count++;
      }
    }
    expect(count).toBeGreaterThan(100);
    expect(unbound(['chainfire.put', 'fleet-scheduler.nodes'])).toEqual(['chainfire.put', 'fleet-scheduler.nodes']);
    expect(() => unbound(['chainfire.putt'])).toThrow(/names no service operation/);
  });

  it('a later layer wins per operation, at(node) keeps the layering, and calls are recorded', async () => {
    const seen: string[] = [];
    const base = { iam: { bootstrap: async () => ({ from: 'driver' }), at: () => base.iam } };
    const over = { iam: { bootstrap: async () => ({ from: 'module' }) } };
    const { ports, unbound } = assemblePorts('t', [base as never, over as never], (op) => seen.push(op));
    expect(await ports.iam.bootstrap()).toEqual({ from: 'module' });
    expect(await ports.iam.at('node02').bootstrap()).toEqual({ from: 'module' });
    await expect(ports.iam.at('node02').issueToken('x' as never, [] as never)).rejects.toBeInstanceOf(
      BindingRequiredError,
    );
    expect(seen).toEqual(['iam.bootstrap', 'iam.bootstrap']);
    expect(unbound(['iam.bootstrap', 'iam.issueToken'])).toEqual(['iam.issueToken']);
  });

  it('refuses bindings that are not the contracts, naming the field', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
        return (e as InvalidInputError).fields;
      }
      throw new Error('accepted');
    };
    expect(field(() => checkBindings({ chainfir: {} }, 'm'))).toEqual(['bindings.chainfir']);
    expect(field(() => checkBindings({ chainfire: { putt: () => 1 } }, 'm'))).toEqual(['bindings.chainfire.putt']);
    expect(field(() => checkBindings({ chainfire: { put: 'x' } }, 'm'))).toEqual(['bindings.chainfire.put']);
    expect(field(() => checkBindings(null, 'm'))).toEqual(['bindings']);
  });
});

describe('a bindings module from outside the project tree', () => {
  let outside: string;
  let svc: LabServiceProcess;

  beforeAll(async () => {
    outside = await mkdtemp(join(tmpdir(), 'ucp-outside-bindings-'));
    svc = await LabServiceProcess.start({ service: 'flaredb' });
    // plain JavaScript that knows nothing of this suite: it binds flaredb from the descriptor's endpoint
    await writeFile(
      join(outside, 'bindings.mjs'),
      `export default function bindings({ descriptor }) {
  const e = descriptor.nodes.find((n) => n.services.flaredb).services.flaredb;
  const call = async (path, body) => {
    const r = await fetch('http://' + e.host + ':' + e.port + '/api/v1' + path, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error('flaredb ' + path + ': ' + r.status);
    return r.json();
  };
  return {
    flaredb: {
      migrate: (id, statements) => call('/migrations', { id, statements }),
      execute: (sql, params = []) => call('/execute', { sql, params }),
      query: async (sql, params = []) => (await call('/query', { sql, params })).rows,
    },
  };
}
`,
    );
    await writeFile(join(outside, 'typo.mjs'), 'export default { flaredb: { qeury: async () => [] } };\n');
  }, 60_000);
  afterAll(async () => {
    await svc?.dispose();
    await rm(outside, { recursive: true, force: true });
  }, 60_000);

  // one node whose flaredb is the service this test started
  const descriptorOn = (port: number) => {
    const d = referenceLabDescriptor({
      addresses: { node01: '127.0.0.1' },
      labRoot: join(outside, 'lab'),
      topology: [{ name: 'node01', role: 'control-plane', bootstrap: true, services: ['flaredb'] }],
    });
    const node = d.nodes[0] as (typeof d.nodes)[number];
    return { ...d, nodes: [{ ...node, services: { flaredb: { host: '127.0.0.1', port, scheme: 'http' as const } } }] };
  };

  it('is named by a descriptor file, loaded at run time, checked and bound; the rest stays unbound', async () => {
    const descriptorFile = join(outside, 'target.json');
    await writeFile(
      descriptorFile,
      JSON.stringify({
        ...descriptorOn(svc.port),
        name: 'outside-target',
        kind: 'reference-lab',
        bindings: './bindings.mjs',
      }),
    );
    const d = loadDescriptorFile(descriptorFile);
    expect(d.bindings).toBe(join(outside, 'bindings.mjs'));
    expect(d.bindings?.startsWith(repoRoot)).toBe(false);
    const layer = await loadBindingsModule(d.bindings as string, { descriptor: d, state: {}, nodes: [] });
    const { ports, unbound } = assemblePorts(d.name, [layer]);
    await ports.flaredb.migrate('001', ['CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)']);
    await ports.flaredb.execute('INSERT INTO t (v) VALUES (?)', ['from-outside']);
    expect(await ports.flaredb.query<{ v: string }>('SELECT v FROM t')).toEqual([{ v: 'from-outside' }]);
    await expect(ports.flaredb.backup()).rejects.toThrow(/binding required: flaredb\.backup/);
    expect(unbound(['flaredb.query', 'flaredb.backup', 'chainfire.put'])).toEqual(['flaredb.backup', 'chainfire.put']);
  });

  it('refuses a module binding an operation the port does not have, naming it', async () => {
    const err = await loadBindingsModule(join(outside, 'typo.mjs'), {
      descriptor: descriptorOn(svc.port) as never,
      state: {},
      nodes: [],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).fields).toEqual(['bindings.flaredb.qeury']);
  });

  it('refuses a module that cannot be loaded', async () => {
    const err = await loadBindingsModule(join(outside, 'missing.mjs'), {
      descriptor: descriptorOn(svc.port) as never,
      state: {},
      nodes: [],
    }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/cannot be loaded/);
  });
});
