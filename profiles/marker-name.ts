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
