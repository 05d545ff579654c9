import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A small durable JSON document on disk: every write is flushed and renamed into place, so a power loss leaves
 * the previous or the new state, never a torn one.
 */
export class JsonStore<T> {
  private readonly path: string;
  private value: T;

  constructor(path: string, initial: () => T) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    try {
      this.value = JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.value = initial();
    }
  }

  get(): T {
    return this.value;
  }

  update(mutate: (draft: T) => void): T {
    const next = structuredClone(this.value);
    mutate(next);
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(next));
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.value = next;
    return next;
  }
}
