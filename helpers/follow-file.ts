import { statSync } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PathWatch } from './path-watch.ts';
import { Wakeup } from './wakeup.ts';

export interface FollowFileOptions {
  /**
   * `start` (default): everything in the file, then what is appended; `end`: only what is appended after the call
   * (the file's size is taken synchronously when iteration starts, so a write right after the call is not missed)
   */
  from?: 'start' | 'end';
  /** stop following (the generator returns) */
  signal?: AbortSignal;
  /** called each time everything the file held so far has been read and handed on (first: after the first read) */
  onCaughtUp?: () => void;
}

const readChunkBytes = 64 * 1024;

/**
 * Follow a growing file like `tail -F`, driven by file-system events (inotify through fs.watch), never by a timer:
 * every change event triggers one read of what was appended. The file need not exist yet (its directory, or the
 * nearest existing ancestor, is watched until it appears); truncation restarts at offset 0, and a replaced file
 * (new inode) is reopened from its beginning. Ends only when the signal aborts.
 */
export async function* followFile(path: string, options: FollowFileOptions = {}): AsyncGenerator<Uint8Array> {
  const file = resolve(path);
  const wake = new Wakeup(options.signal);
  const watches = new PathWatch(file, () => wake.ring());
  // `end`: where the file stood at the call; a file created or replaced later is read from its beginning
  let endMark = options.from === 'end' ? statSync(file, { throwIfNoEntry: false }) : undefined;
  let handle: FileHandle | null = null;
  let inode = -1;
  let position = 0;
  try {
    while (!wake.aborted) {
      watches.refresh();
      const current = await stat(file).catch(() => null);
      if (handle && (!current || current.ino !== inode)) {
        // deleted or replaced: finish what the old file still holds, then start over on the new one
        yield* readAppended(handle, position, (n) => {
          position += n;
        });
        await handle.close();
        handle = null;
        inode = -1;
      }
      if (!handle && current?.isFile()) handle = await open(file, 'r').catch(() => null);
      if (handle && inode === -1) {
        const opened = await handle.stat();
        inode = opened.ino;
        position = endMark && endMark.ino === opened.ino ? endMark.size : 0;
        endMark = undefined;
        watches.watchFile();
      }
      if (handle) {
        const { size } = await handle.stat();
        if (size < position) position = 0; // truncated
        yield* readAppended(handle, position, (n) => {
          position += n;
        });
      }
      options.onCaughtUp?.();
      await wake.next();
    }
  } finally {
    watches.close();
    await handle?.close();
  }
}

async function* readAppended(
  handle: FileHandle,
  from: number,
  advance: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  let offset = from;
  for (;;) {
    const buffer = new Uint8Array(readChunkBytes);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    if (bytesRead === 0) return;
    offset += bytesRead;
    advance(bytesRead);
    yield buffer.subarray(0, bytesRead);
  }
}
