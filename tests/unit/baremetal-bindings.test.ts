import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBaremetalBindings } from '../../harness/ports.ts';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';
import { InvalidInputError } from '../../profiles/descriptor-schema.ts';

/** A bindings module's optional `baremetalDeployer` export: the target's own deployer for the ISO install. */
describe('the bare-metal deployer binding of a bindings module', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await workTempDir('baremetal-bindings-');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is the lab's deployer in the lab's bindings module", async () => {
    const bindings = await loadBaremetalBindings(join(projectRoot, 'lab/target/bindings-module.ts'));
    expect(typeof bindings.deployer).toBe('function');
  });

  it('is absent (not an error) in a module that binds only services', async () => {
    const path = join(dir, 'services-only.mjs');
    await writeFile(path, 'export default () => ({});\n');
    expect(await loadBaremetalBindings(path)).toEqual({});
  });

  it('is refused, naming the field, when it is not a function', async () => {
    const path = join(dir, 'not-a-function.mjs');
    await writeFile(path, 'export default () => ({});\nexport const baremetalDeployer = 42;\n');
    const err = await loadBaremetalBindings(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).fields).toEqual(['bindings.baremetalDeployer']);
    expect((err as Error).message).toContain('baremetalDeployer is not a function');
  });
});
