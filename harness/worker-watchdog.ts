import { isMainThread } from 'node:worker_threads';

/**
 * Vitest setup file of the cluster projects: a worker whose Vitest main process died stops at once, instead of
 * running on (and keeping its labs, VMs and SSH sessions alive) with nobody to report to. Every second (an unref'd
 * timer, so it never keeps a worker alive) it checks that its parent is still the process it started under and
 * that this process still exists; if not, it exits the worker with code 70. Child processes a test started with a
 * pipe (the lab controller) see that pipe close and tear down their own resources.
 *
 * ULTRACLOUD_WATCHDOG_PARENT_PID watches another process instead of the parent (tests of the watchdog itself).
 * In a worker thread (pool "threads") the main process is this process: nothing to watch.
 */
const key = Symbol.for('ultracloud.worker-watchdog');
const global = globalThis as { [key]?: NodeJS.Timeout };

export const watchdogIntervalMs = 1_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Start watching (idempotent per process); returns the pid watched, or null when there is nothing to watch. */
export function startWorkerWatchdog(env: NodeJS.ProcessEnv = process.env): number | null {
  if (!isMainThread) return null;
  const configured = Number(env.ULTRACLOUD_WATCHDOG_PARENT_PID);
  const watched = Number.isInteger(configured) && configured > 1 ? configured : process.ppid;
  const parentAtStart = process.ppid;
  if (watched <= 1) return null;
  if (global[key]) return watched;
  const timer = setInterval(() => {
    const reason =
      process.ppid !== parentAtStart
        ? `parent ${parentAtStart} is gone (now ${process.ppid})`
        : alive(watched)
          ? null
          : `process ${watched} is gone`;
    if (!reason) return;
    process.stderr.write(`[worker-watchdog] ${reason}: the Vitest main process died, stopping worker ${process.pid}\n`);
    process.exit(70);
  }, watchdogIntervalMs);
  timer.unref();
  global[key] = timer;
  return watched;
}

startWorkerWatchdog();
