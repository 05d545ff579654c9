import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutants } from '../../benchmarks/mutants/catalogue.ts';
import { laneTestFiles } from '../../benchmarks/mutants/runner.ts';
import { projectRoot } from '../../helpers/proof-root.ts';

const occurrences = (text: string, search: string) => text.split(search).length - 1;

describe('the mutation catalogue', () => {
  it('has unique ids and at least 30 mutants', () => {
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
    expect(mutants.length).toBeGreaterThanOrEqual(30);
  });

  it('spreads its mutants over at least ten files', () => {
    expect(new Set(mutants.map((m) => m.file)).size).toBeGreaterThanOrEqual(10);
  });

  it('names for every lane the test file that registers it, and that file names the lane', () => {
    for (const [lane, file] of Object.entries(laneTestFiles)) {
      const laneDefs = readFileSync(join(projectRoot, file), 'utf8');
      expect(laneDefs, `${file} registers a lane with proofLane`).toMatch(/proofLane\(/);
      const imported = [...laneDefs.matchAll(/from '\.\.\/\.\.\/(lanes\/[^']+)'/g)].map((m) => m[1] as string);
      const names = imported.map((f) => readFileSync(join(projectRoot, f), 'utf8'));
      expect(
        names.some((text) => text.includes(`name: '${lane}'`)),
        `${file} imports the definition of lane ${lane}`,
      ).toBe(true);
    }
  });

  it.each(mutants.map((m) => [m.id, m] as const))('%s patches a file under lab/ whose text occurs once', (_, m) => {
    expect(m.file.startsWith('lab/')).toBe(true);
    const path = join(projectRoot, m.file);
    expect(existsSync(path)).toBe(true);
    expect(m.search).not.toBe(m.replace);
    expect(occurrences(readFileSync(path, 'utf8'), m.search)).toBe(1);
    expect(Object.keys(laneTestFiles), `lane ${m.lane} of ${m.id}`).toContain(m.lane);
    expect(m.breaks.length).toBeGreaterThan(10);
  });
});
