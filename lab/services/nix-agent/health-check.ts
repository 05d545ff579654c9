export interface HealthCheckResult {
  command: string;
  exitCode: number | null;
  output: string;
  durationMs: number;
  at: string;
}

/** run a desired system's health_check_command with sh, bounded by `timeoutMs` */
export async function runHealthCheck(command: string, system: string, timeoutMs: number): Promise<HealthCheckResult> {
  // execa is loaded on first use: most service processes never run a command, and it is a large import
  const { execa } = await import('execa');
  const t0 = performance.now();
  const res = await execa('sh', ['-c', command], {
    reject: false,
    all: true,
    timeout: timeoutMs,
    env: { ULTRACLOUD_SYSTEM: system },
    stdin: 'ignore',
  });
  return {
    command,
    exitCode: res.timedOut ? null : (res.exitCode ?? null),
    output: `${res.all ?? ''}${res.timedOut ? `\n(timed out after ${timeoutMs} ms)` : ''}`.slice(-4000),
    durationMs: Math.round(performance.now() - t0),
    at: new Date().toISOString(),
  };
}
