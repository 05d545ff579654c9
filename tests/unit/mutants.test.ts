import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutants } from '../../benchmarks/mutants/catalogue.ts';
import { projectRoot } from '../../helpers/proof-root.ts';

const occurrences = (text: string, search: string) => text.split(search).length - 1;

describe('the mutation catalogue', () => {
  it('has unique ids', () => {
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
  });

  it.each(mutants.map((m) => [m.id, m] as const))('%s patches a file under lab/ whose text occurs once', (_, m) => {
    expect(m.file.startsWith('lab/')).toBe(true);
    const path = join(projectRoot, m.file);
    expect(existsSync(path)).toBe(true);
    expect(m.search).not.toBe(m.replace);
    expect(occurrences(readFileSync(path, 'utf8'), m.search)).toBe(1);
  });
});
