import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Reads many small files through one reusable buffer: open, read to the end, close; no stat and no allocation per
 * file. Returns a view of the shared buffer, valid until the next read.
 */
export class FastFileReader {
  private buffer = Buffer.allocUnsafe(1 << 20);

  read(path: string): Buffer {
    const fd = openSync(path, 'r');
    try {
      let length = 0;
      for (;;) {
        if (length === this.buffer.length) {
          const grown = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(grown, 0, 0, length);
          this.buffer = grown;
        }
        const n = readSync(fd, this.buffer, length, this.buffer.length - length, null);
        if (n === 0) return this.buffer.subarray(0, length);
        length += n;
      }
    } finally {
      closeSync(fd);
    }
  }
}
