import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(new URL('../../', import.meta.url).pathname);

/**
 * The floors, lowest first. A file may import its own floor and the ones below, never one above: the contracts
 * stand on the profiles alone, helpers and guards on the contracts, a target's own folder (the reference lab, the
 * monorepo's adapters) on the helpers, the harness and reporters on the seam, the lanes on the harness.
 */
const floors: Record<string, number> = {
  profiles: 0,
  contracts: 1,
  helpers: 2,
  guards: 2,
  lab: 3,
  targets: 3,
  harness: 4,
  reporters: 4,
  lanes: 5,
  cli: 6,
  benchmarks: 6,
  tests: 6,
  scripts: 6,
};

/** The one place that finds a target's folder by kind (a dynamic import, so nothing above loads the lab eagerly). */
const labGateway = 'targets/registry.ts';
/** Folders that must never reach into the test double, whatever their floor. */
const neverTheLab = ['profiles', 'contracts', 'helpers', 'guards', 'targets', 'harness', 'reporters', 'lanes'];

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((p) => !p.includes('node_modules') && !p.includes('/fixtures/'));
}

/** Every relative module specifier a file names: static imports and exports, `import type`, dynamic `import()`. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]/g,
    /(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\(\s*new URL\(\s*['"]([^'"]+)['"]/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1] as string);
  return out.filter((s) => s.startsWith('.'));
}

const top = (path: string) => path.split('/')[0] as string;

function edges(): Array<{ from: string; to: string }> {
  const all = Object.keys(floors).flatMap((d) => {
    try {
      return sources(d);
    } catch {
      return [];
    }
  });
  return all.flatMap((from) =>
    importsOf(readFileSync(join(root, from), 'utf8')).map((spec) => ({
      from,
      to: relative(root, resolve(root, dirname(from), spec)),
    })),
  );
}

describe('layering', () => {
  const found = edges();

  it('sees the imports it checks (static, type-only and dynamic)', () => {
    expect(found.length).toBeGreaterThan(500);
    expect(importsOf("import type { A } from './a.ts';\nconst m = await import('../b.ts');")).toEqual([
      './a.ts',
      '../b.ts',
    ]);
    expect(found.some((e) => e.from === labGateway && top(e.to) === 'lab')).toBe(true);
  });

  it('no floor imports a floor above it', () => {
    const up = found
      .filter((e) => floors[top(e.to)] !== undefined && (floors[top(e.to)] as number) > (floors[top(e.from)] as number))
      .map((e) => `${e.from} → ${e.to}`);
    expect(up).toEqual([]);
  });

  it('the harness, lanes, profiles, contracts, helpers, guards and reporters never import the lab', () => {
    const intoLab = found
      .filter((e) => e.from !== labGateway && neverTheLab.includes(top(e.from)) && top(e.to) === 'lab')
      .map((e) => `${e.from} → ${e.to}`);
    expect(intoLab).toEqual([]);
  });

  it('the lab does not lean on other targets, and the monorepo target does not lean on the lab', () => {
    const sideways = found
      .filter(
        (e) =>
          (top(e.from) === 'lab' && top(e.to) === 'targets') ||
          (e.from.startsWith('targets/monorepo/') && top(e.to) === 'lab'),
      )
      .map((e) => `${e.from} → ${e.to}`);
    expect(sideways).toEqual([]);
  });
});
