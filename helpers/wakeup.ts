/** A doorbell: ring() from an event handler, `await next()` in the reader; rings while reading are not lost. */
export class Wakeup {
  #rung = false;
  #resolve: (() => void) | null = null;
  readonly #signal: AbortSignal | undefined;

  constructor(signal: AbortSignal | undefined) {
    this.#signal = signal;
    signal?.addEventListener('abort', () => this.ring(), { once: true });
  }

  get aborted(): boolean {
    return this.#signal?.aborted ?? false;
  }

  ring(): void {
    this.#rung = true;
    this.#resolve?.();
    this.#resolve = null;
  }

  async next(): Promise<void> {
    if (!this.#rung && !this.aborted) await new Promise<void>((r) => (this.#resolve = r));
    this.#rung = false;
  }
}
