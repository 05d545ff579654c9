import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { HarnessError, WaitTimeoutError } from '../contracts/errors.ts';
import { sleep } from './retry.ts';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; command: string };

/** A QEMU Machine Protocol client on a unix socket: capabilities negotiated, commands correlated by id, events. */
export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: []; greeting: [] }> {
  readonly #socket: Socket;
  readonly #pending = new Map<string, Pending>();
  #nextId = 1;
  #buffer = '';
  #closed = false;

  private constructor(socket: Socket) {
    super();
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('close', () => this.#onClose());
    socket.on('error', () => this.#onClose());
  }

  /** Connect (retrying while QEMU creates the socket) and leave capabilities negotiation mode. */
  static async connect(path: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<QmpClient> {
    const deadline = performance.now() + (options.timeoutMs ?? 10_000);
    let last: unknown;
    while (performance.now() < deadline) {
      options.signal?.throwIfAborted();
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once('error', reject);
        });
        const client = new QmpClient(socket);
        await client.#greeting();
        await client.execute('qmp_capabilities');
        return client;
      } catch (err) {
        last = err;
        await sleep(50, options.signal);
      }
    }
    throw new WaitTimeoutError(
      `QMP socket "${path}" not ready after ${options.timeoutMs ?? 10_000} ms; last: ${last instanceof Error ? last.message : String(last)}`,
      options.timeoutMs ?? 10_000,
    );
  }

  #greeting(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.once('greeting', () => resolve());
      this.#socket.once('close', () => reject(new HarnessError('QMP socket closed before its greeting')));
    });
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(new HarnessError(`QMP "${command}": connection is closed`));
    const id = `ucp-${this.#nextId++}`;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, command });
      this.#socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  /** Resolve on the next event named `name` (e.g. SHUTDOWN, RESET, STOP). */
  waitForEvent(name: string, timeoutMs = 30_000): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', onEvent);
        reject(new WaitTimeoutError(`QMP event "${name}" not received after ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
      const onEvent = (e: QmpEvent) => {
        if (e.event !== name) return;
        clearTimeout(timer);
        this.off('event', onEvent);
        resolve(e);
      };
      this.on('event', onEvent);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line) this.#onMessage(JSON.parse(line) as Record<string, unknown>);
    }
  }

  #onMessage(msg: Record<string, unknown>): void {
    if ('QMP' in msg) {
      this.emit('greeting');
      return;
    }
    if (typeof msg.event === 'string') {
      this.emit('event', msg as unknown as QmpEvent);
      return;
    }
    const pending = typeof msg.id === 'string' ? this.#pending.get(msg.id) : undefined;
    if (!pending) return;
    this.#pending.delete(msg.id as string);
    if ('error' in msg) {
      const e = msg.error as { class?: string; desc?: string };
      pending.reject(new HarnessError(`QMP "${pending.command}" failed: ${e.class ?? 'Error'}: ${e.desc ?? ''}`));
    } else pending.resolve(msg.return);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) {
      p.reject(new HarnessError(`QMP "${p.command}": connection closed (QEMU exited?)`));
    }
    this.#pending.clear();
    this.emit('close');
  }
}
