import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export interface Sample {
  series: string;
  /** milliseconds since the epoch */
  t: number;
  v: number;
}

/**
 * NightLight's storage: samples appended to a write-ahead log (one JSON line each, fsynced before the ingest is
 * acknowledged), compacted into a snapshot. On start the snapshot is loaded and the WAL replayed; a torn last
 * line (power loss mid-write) is dropped.
 */
export class MetricsWal {
  readonly series = new Map<string, Sample[]>();
  readonly recovered: { fromSnapshot: number; fromWal: number };
  private readonly walPath: string;
  private readonly snapshotPath: string;
  /** lines acknowledged but only in process memory (fault wal-not-fsynced) */
  private buffered: string[] = [];

  /** `replayWal` false is the wal-not-replayed fault: the WAL is left unread at start (and so lost) */
  constructor(stateDir: string, replayWal = true) {
    this.walPath = join(stateDir, 'wal.log');
    this.snapshotPath = join(stateDir, 'snapshot.json');
    mkdirSync(stateDir, { recursive: true });
    const snapshot = existsSync(this.snapshotPath)
      ? (JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as Sample[])
      : [];
    for (const s of snapshot) this.index(s);
    let fromWal = 0;
    if (existsSync(this.walPath) && !replayWal) writeFileSync(this.walPath, '');
    if (existsSync(this.walPath)) {
      const text = readFileSync(this.walPath, 'utf8');
      const whole = text.lastIndexOf('\n') + 1;
      if (whole < text.length) truncateSync(this.walPath, Buffer.byteLength(text.slice(0, whole)));
      for (const line of text.slice(0, whole).split('\n')) {
        if (!line) continue;
        this.index(JSON.parse(line) as Sample);
        fromWal += 1;
      }
    }
    this.recovered = { fromSnapshot: snapshot.length, fromWal };
  }

  append(samples: Sample[], durable: boolean): void {
    const lines = samples.map((s) => JSON.stringify(s));
    if (durable) {
      this.flush();
      this.write(lines);
    } else {
      this.buffered.push(...lines);
    }
    for (const s of samples) this.index(s);
  }

  /** write buffered lines (graceful shutdown, or the next durable append) */
  flush(): void {
    if (this.buffered.length === 0) return;
    const lines = this.buffered;
    this.buffered = [];
    this.write(lines);
  }

  query(series: string, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): Sample[] {
    return (this.series.get(series) ?? []).filter((s) => s.t >= from && s.t <= to);
  }

  /** compact: every sample into a new snapshot (fsync + rename), then an empty WAL */
  snapshot(): { samples: number; walBytesCompacted: number } {
    this.flush();
    const all = [...this.series.values()].flat();
    const tmp = `${this.snapshotPath}.tmp`;
    writeFileSync(tmp, JSON.stringify(all));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.snapshotPath);
    const walBytesCompacted = this.walBytes();
    writeFileSync(this.walPath, '');
    return { samples: all.length, walBytesCompacted };
  }

  walBytes(): number {
    return existsSync(this.walPath) ? statSync(this.walPath).size : 0;
  }

  private write(lines: string[]): void {
    appendFileSync(this.walPath, `${lines.join('\n')}\n`);
    const fd = openSync(this.walPath, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private index(sample: Sample): void {
    // a sample is identified by series and time: replaying a WAL already folded into the snapshot is harmless
    const list = (this.series.get(sample.series) ?? []).filter((s) => s.t !== sample.t);
    list.push(sample);
    list.sort((a, b) => a.t - b.t);
    this.series.set(sample.series, list);
  }
}
