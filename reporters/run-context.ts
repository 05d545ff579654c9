import { join } from 'node:path';
import { currentRunId, workRoot } from '../helpers/proof-root.ts';

export interface SuiteRunContext {
  runId: string;
  workRoot: string;
  /** the suite's own proof root for this invocation */
  suiteRoot: string;
  junitFile: string;
}

/**
 * Decided once in the main process (vitest.config.ts) and inherited by workers through the environment, so the
 * reporters, JUnit and every lane agree on one run id.
 */
export function suiteRunContext(env: NodeJS.ProcessEnv = process.env): SuiteRunContext {
  const runId = currentRunId(env);
  const root = workRoot(env);
  const suite = env.ULTRACLOUD_SUITE_NAME || 'vitest-suite';
  const suiteRoot = join(root, suite, runId);
  return { runId, workRoot: root, suiteRoot, junitFile: join(suiteRoot, 'junit.xml') };
}
