import type { Reporter, TestModule } from 'vitest/node';

export interface SlowestFilesOptions {
  /** how many files to list (default 10) */
  count?: number;
}

/**
 * Prints where the time went when a run ends: the slowest test files (their tests and hooks, with setup and
 * import), so a slow `npm test` says which files to look at.
 */
export default class SlowestFilesReporter implements Reporter {
  private readonly count: number;

  constructor(options: SlowestFilesOptions = {}) {
    this.count = options.count ?? 10;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows = slowestFiles(testModules, this.count);
    if (rows.length < 2) return;
    const width = Math.max(...rows.map((r) => r.file.length));
    const lines = rows.map((r) => `  ${r.file.padEnd(width)}  ${(r.ms / 1000).toFixed(1).padStart(7)} s`);
    process.stderr.write(`\nslowest ${rows.length} test files:\n${lines.join('\n')}\n`);
  }
}

export function slowestFiles(
  testModules: ReadonlyArray<TestModule>,
  count: number,
): Array<{ file: string; ms: number }> {
  return testModules
    .map((m) => {
      const d = m.diagnostic();
      const ms = d.duration + d.setupDuration + d.collectDuration + d.prepareDuration + d.environmentSetupDuration;
      return { file: `${m.project.name}: ${m.relativeModuleId}`, ms };
    })
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count);
}
