import type { ChildProcess } from 'node:child_process';

export interface ForwardedInterrupt {
  /** true once a SIGINT or SIGTERM reached this process and went on to the child */
  readonly interrupted: boolean;
  /** stop listening */
  dispose(): void;
}

/**
 * Pass the first SIGINT or SIGTERM on to `child` and no later one, so a second Ctrl-C does not cut the child's
 * teardown short (the terminal already delivers it to the child's process group itself).
 */
export function forwardInterruptOnce(child: ChildProcess, onRepeat?: () => void): ForwardedInterrupt {
  let interrupted = false;
  const forward = (signal: NodeJS.Signals) => {
    if (interrupted) {
      onRepeat?.();
      return;
    }
    interrupted = true;
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return {
    get interrupted() {
      return interrupted;
    },
    dispose() {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    },
  };
}
