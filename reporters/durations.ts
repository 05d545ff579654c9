import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCase } from 'vitest/node';
import { z } from 'zod';

/** Each test file's duration in the last run that ran it, keyed `<project>:<file relative to the root>`. */
export const LaneDurations = z.record(z.string(), z.number().nonnegative());
export type LaneDurations = z.infer<typeof LaneDurations>;

export const durationsFile = (workRoot: string) => join(workRoot, '.lane-durations.json');

export const durationKey = (project: string, relativeFile: string) => `${project}:${relativeFile}`;

/** The durations kept in the work root; none (an empty record) when there is no readable file. */
export function readDurations(workRoot: string): LaneDurations {
  try {
    const parsed = LaneDurations.safeParse(JSON.parse(readFileSync(durationsFile(workRoot), 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** Adds the finished test files of this run to the work root's durations (files not run keep theirs). */
export function recordDurations(workRoot: string, cases: readonly TestCase[]): void {
  const byFile = new Map<string, number>();
  for (const tc of cases) {
    const ms = tc.diagnostic()?.duration;
    if (ms === undefined) continue;
    const key = durationKey(tc.module.project.name, tc.module.relativeModuleId);
    byFile.set(key, (byFile.get(key) ?? 0) + ms);
  }
  if (byFile.size === 0) return;
  const all = { ...readDurations(workRoot), ...Object.fromEntries(byFile) };
  mkdirSync(workRoot, { recursive: true });
  const path = durationsFile(workRoot);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
  renameSync(tmp, path);
}
