import { HarnessError } from '../contracts/errors.ts';
import { type MarkerPattern, markerPatternProblem } from '../profiles/marker-name.ts';

export { type MarkerPattern, markerPatternProblem } from '../profiles/marker-name.ts';

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
