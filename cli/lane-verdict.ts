import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LaneResult } from '../profiles/result-schema.ts';

/** A lane's result.json, parsed; undefined when missing or unreadable. */
export function readLaneResult(path: string): LaneResult | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return LaneResult.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Print where a lane's verdict is and what it was, and the command's exit code for it: 0 passed (or flaky), 3
 * blocked (naming what is missing), 1 failed (naming the step) or no result. `code` is Vitest's own exit code.
 */
export function reportLaneVerdict(tag: string, proofRoot: string, code: number): number {
  const resultFile = join(proofRoot, 'result.json');
  const result = readLaneResult(resultFile);
  if (!result) {
    process.stderr.write(`${tag} the lane left no result (${resultFile} is missing)\n`);
    return 1;
  }
  process.stderr.write(`${tag} ${result.status}: ${resultFile}\n`);
  if (result.status === 'blocked') {
    process.stderr.write(`${tag} blocked: missing ${result.missingRequirements.join(', ')}\n`);
    return 3;
  }
  if (result.status === 'failed' && result.failure) {
    process.stderr.write(`${tag} ${result.failure.stepPath.join(' › ')}: ${result.failure.message}\n`);
  }
  return code === 0 && (result.status === 'passed' || result.status === 'flaky') ? 0 : 1;
}
