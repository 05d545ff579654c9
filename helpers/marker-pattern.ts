import { HarnessError } from '../contracts/errors.ts';

/**
 * A marker pattern: an exact marker name (`install.disko.complete`), a prefix pattern ending in `.*`
 * (`pre-install.boot.*` matches `pre-install.boot` itself and every `pre-install.boot.<suffix>`), or `*` (any
 * marker).
 */
export type MarkerPattern = string;

const namePart = /^[A-Za-z0-9][A-Za-z0-9._:@/+-]*$/;

/** Why a pattern is malformed, or null when it is fine. */
export function markerPatternProblem(pattern: string): string | null {
  if (pattern === '*') return null;
  const stem = pattern.endsWith('.*') ? pattern.slice(0, -2) : pattern;
  if (stem.length === 0) return `marker pattern "${pattern}" is empty`;
  if (stem.includes('*')) return `marker pattern "${pattern}" may only end in ".*"`;
  if (!namePart.test(stem) || stem.endsWith('.')) {
    return `marker pattern "${pattern}" is not a marker name (letters, digits and . _ - : @ / +)`;
  }
  return null;
}

export function assertMarkerPatterns(patterns: readonly string[], what: string): void {
  for (const pattern of patterns) {
    const problem = markerPatternProblem(pattern);
    if (problem) throw new HarnessError(`invalid ${what}: ${problem}`);
  }
}

export function matchesMarker(pattern: MarkerPattern, name: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.endsWith('.*')) return name === pattern;
  const stem = pattern.slice(0, -2);
  return name === stem || name.startsWith(`${stem}.`);
}

export function firstMatching(patterns: readonly MarkerPattern[], name: string): MarkerPattern | undefined {
  return patterns.find((p) => matchesMarker(p, name));
}
