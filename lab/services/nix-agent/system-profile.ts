import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { basename, join } from 'node:path';

export interface Generation {
  number: number;
  target: string;
  current: boolean;
}

/**
 * The node's system profile, shaped like /nix/var/nix/profiles: `system-<N>-link` points at a system closure,
 * `system` points at the current generation's link. Switching is an atomic rename of the `system` link.
 */
export class SystemProfile {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'profiles');
    mkdirSync(this.dir, { recursive: true });
  }

  generations(): Generation[] {
    const current = this.currentNumber();
    return readdirSync(this.dir)
      .map((name) => /^system-(\d+)-link$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => {
        const number = Number(m[1]);
        return { number, target: readlinkSync(join(this.dir, m[0])), current: number === current };
      })
      .sort((a, b) => a.number - b.number);
  }

  currentNumber(): number | null {
    const link = join(this.dir, 'system');
    if (!existsSync(link) && !isLink(link)) return null;
    const m = /^system-(\d+)-link$/.exec(readlinkSync(link));
    return m ? Number(m[1]) : null;
  }

  current(): Generation | null {
    return this.generations().find((g) => g.current) ?? null;
  }

  /** add a generation pointing at `target` and make it current; returns its number */
  activate(target: string): number {
    const next = Math.max(0, ...this.generations().map((g) => g.number)) + 1;
    symlinkSync(target, join(this.dir, `system-${next}-link`));
    this.switchTo(next);
    return next;
  }

  /** no current generation at all (a rollback of the very first activation) */
  deactivate(): void {
    rmSync(join(this.dir, 'system'), { force: true });
  }

  switchTo(number: number): void {
    const tmp = join(this.dir, `.system.${process.pid}.tmp`);
    symlinkSync(`system-${number}-link`, tmp);
    renameSync(tmp, join(this.dir, 'system'));
  }
}

/** guest-side "compilation": copy the closure into the node's own build dir (the compile-on-guest fault) */
export function buildOnGuest(stateDir: string, target: string): string {
  const out = join(stateDir, 'builds', basename(target));
  if (!existsSync(out)) cpSync(target, out, { recursive: true, dereference: true });
  return out;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
