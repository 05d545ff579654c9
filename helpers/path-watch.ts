import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * File-system events for one file path, whether or not it exists yet: a watch on its directory (or on the nearest
 * existing ancestor until the directory appears, see refresh()) and, once it is open, on the file itself.
 */
export class PathWatch {
  readonly #file: string;
  readonly #onEvent: () => void;
  #dirWatcher: FSWatcher | null = null;
  #watchedDir = '';
  #fileWatcher: FSWatcher | null = null;

  constructor(file: string, onEvent: () => void) {
    this.#file = file;
    this.#onEvent = onEvent;
    this.refresh();
  }

  /** watch the deepest existing directory on the way to the file */
  refresh(): void {
    for (let dir = dirname(this.#file); ; dir = dirname(dir)) {
      if (dir === this.#watchedDir && this.#dirWatcher) return;
      const watcher = tryWatch(
        dir,
        (name) => {
          if (dir !== dirname(this.#file) || name === null || name === basename(this.#file)) this.#onEvent();
        },
        () => {
          this.#dirWatcher = null; // gone (directory removed): the next refresh finds what exists now
          this.#onEvent();
        },
      );
      if (watcher) {
        this.#dirWatcher?.close();
        this.#dirWatcher = watcher;
        this.#watchedDir = dir;
        if (dir !== dirname(this.#file)) this.#onEvent(); // the directory may have appeared before the watch
        return;
      }
      if (dirname(dir) === dir) return;
    }
  }

  watchFile(): void {
    this.#fileWatcher?.close();
    this.#fileWatcher = tryWatch(
      this.#file,
      () => this.#onEvent(),
      () => this.#onEvent(),
    );
  }

  close(): void {
    this.#dirWatcher?.close();
    this.#fileWatcher?.close();
  }
}

function tryWatch(target: string, onEvent: (name: string | null) => void, onError: () => void): FSWatcher | null {
  try {
    const watcher = watch(target, { persistent: true }, (_event, name) => onEvent(name));
    watcher.on('error', () => {
      watcher.close();
      onError();
    });
    return watcher;
  } catch {
    return null;
  }
}
