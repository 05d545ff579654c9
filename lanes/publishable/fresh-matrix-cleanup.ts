import type { LaneContext } from '../../harness/define.ts';

/**
 * What a lane created on the shared cluster, undone in reverse order when the lane ends. The cluster is shared by
 * the whole suite, so everything a lane makes is registered here the moment it exists. An undo that fails is
 * logged with what it was undoing and never hides the lane's own verdict.
 */
export class Cleanup {
  readonly #undo: Array<{ what: string; fn: () => Promise<unknown> }> = [];
  readonly #ctx: Pick<LaneContext, 'log'>;

  constructor(ctx: Pick<LaneContext, 'log'>) {
    this.#ctx = ctx;
  }

  /** remember how to undo `what` */
  add(what: string, fn: () => Promise<unknown>): void {
    this.#undo.push({ what, fn });
  }

  /** undo everything, newest first; returns what could not be undone */
  async run(): Promise<string[]> {
    const failed: string[] = [];
    for (let next = this.#undo.pop(); next; next = this.#undo.pop()) {
      try {
        await next.fn();
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        failed.push(`${next.what}: ${reason}`);
        this.#ctx.log(`cleanup of ${next.what} failed: ${reason}`);
      }
    }
    return failed;
  }
}

/**
 * Run a lane body with a Cleanup; whatever the body leaves behind is undone afterwards, also when it fails.
 * When the body passed, leftovers the cleanup could not remove are reported as an error of their own.
 */
export async function withCleanup<T>(ctx: Pick<LaneContext, 'log'>, body: (c: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup(ctx);
  let value: T;
  try {
    value = await body(cleanup);
  } catch (err) {
    await cleanup.run();
    throw err;
  }
  const failed = await cleanup.run();
  if (failed.length > 0) throw new Error(`the lane could not remove what it created: ${failed.join('; ')}`);
  return value;
}
