import { appendFileSync } from 'node:fs';

/**
 * A node's console: an append-only log, like a serial line. Marker lines (`ULTRACLOUD_MARKER ...`) are written
 * as they are; everything else carries the seconds since boot and its source, as a kernel console would.
 */
export class NodeConsole {
  readonly path: string;
  private readonly started = performance.now();

  constructor(path: string) {
    this.path = path;
  }

  marker(name: string, detail = ''): void {
    this.raw(`ULTRACLOUD_MARKER ${name}${detail ? ` ${detail}` : ''}`);
  }

  line(source: string, text: string): void {
    const t = ((performance.now() - this.started) / 1000).toFixed(3).padStart(9);
    this.raw(`[${t}] ${source}: ${text}`);
  }

  raw(line: string): void {
    appendFileSync(this.path, `${line}\n`);
  }
}
