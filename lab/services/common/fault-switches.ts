import { readFileSync, statSync } from 'node:fs';

/** A named fault: the property a lane should see broken while it is on. */
export interface FaultSpec {
  readonly breaks: string;
}
export type FaultCatalogue = Record<string, FaultSpec>;

/**
 * The active faults of one service, read from its UCP_FAULTS_FILE on every call (cheap: only re-parsed when the
 * file changes), so a switch takes effect at once without a restart.
 */
export class FaultSwitches<F extends FaultCatalogue> {
  readonly catalogue: F;
  private readonly file: string | undefined;
  private cachedStamp = '';
  private cached: Set<string> = new Set();

  constructor(catalogue: F, file: string | undefined, preset: string[] = []) {
    this.catalogue = catalogue;
    this.file = file;
    for (const name of preset) this.assertKnown(name);
    this.cached = new Set(preset);
  }

  on(name: keyof F & string): boolean {
    this.assertKnown(name);
    return this.active().has(name);
  }

  active(): Set<string> {
    if (!this.file) return this.cached;
    let stamp: string;
    try {
      const st = statSync(this.file);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      this.cachedStamp = '';
      this.cached = new Set();
      return this.cached;
    }
    if (stamp !== this.cachedStamp) {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, unknown>;
      const next = new Set<string>();
      for (const [name, value] of Object.entries(parsed)) {
        this.assertKnown(name);
        if (value === true) next.add(name);
      }
      this.cached = next;
      this.cachedStamp = stamp;
    }
    return this.cached;
  }

  private assertKnown(name: string): void {
    if (!Object.hasOwn(this.catalogue, name)) {
      throw new Error(`unknown fault "${name}"; known: ${Object.keys(this.catalogue).join(', ') || '(none)'}`);
    }
  }
}
