import { closeSync, copyFileSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HttpError } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';

export interface Volume {
  name: string;
  sizeBytes: number;
  attachedTo: string | null;
  snapshots: string[];
}

const nameRule = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Shared volumes: each a sparse image file; attachment and snapshots in a JsonStore. */
export class Volumes {
  private readonly store: JsonStore<Record<string, Volume>>;
  private readonly dir: string;

  constructor(stateDir: string) {
    this.store = new JsonStore(join(stateDir, 'volumes.json'), () => ({}));
    this.dir = join(stateDir, 'images');
    mkdirSync(this.dir, { recursive: true });
  }

  list(): Volume[] {
    return Object.values(this.store.get());
  }

  get(name: string): Volume {
    const v = this.store.get()[name];
    if (!v) throw new HttpError(404, `no volume "${name}"`);
    return v;
  }

  create(name: string, sizeBytes: number): Volume {
    if (!nameRule.test(name)) throw new HttpError(400, `invalid volume name "${name}"`);
    if (this.store.get()[name]) throw new HttpError(409, `volume "${name}" already exists`);
    const fd = openSync(this.image(name), 'w');
    ftruncateSync(fd, sizeBytes);
    fsyncSync(fd);
    closeSync(fd);
    return this.store.update((s) => {
      s[name] = { name, sizeBytes, attachedTo: null, snapshots: [] };
    })[name] as Volume;
  }

  /** attach to one node at a time: attaching elsewhere requires a detach first */
  attach(name: string, node: string): Volume {
    const v = this.get(name);
    if (v.attachedTo && v.attachedTo !== node)
      throw new HttpError(409, `volume "${name}" is attached to ${v.attachedTo}`);
    return this.store.update((s) => {
      (s[name] as Volume).attachedTo = node;
    })[name] as Volume;
  }

  detach(name: string, node: string): Volume {
    const v = this.get(name);
    if (v.attachedTo !== node) throw new HttpError(409, `volume "${name}" is not attached to ${node}`);
    return this.store.update((s) => {
      (s[name] as Volume).attachedTo = null;
    })[name] as Volume;
  }

  checkWrite(name: string, node: string, offset: number, length: number): void {
    const v = this.get(name);
    if (v.attachedTo !== node)
      throw new HttpError(409, `volume "${name}" is attached to ${v.attachedTo ?? 'no node'}, not ${node}`);
    if (offset < 0 || offset + length > v.sizeBytes)
      throw new HttpError(416, `write ${offset}+${length} outside ${v.sizeBytes} bytes`);
  }

  write(name: string, offset: number, data: Buffer): void {
    const fd = openSync(this.image(name), 'r+');
    try {
      writeSync(fd, data, 0, data.length, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  read(name: string, offset: number, length: number, snapshot?: string): Buffer {
    const v = this.get(name);
    if (snapshot !== undefined && !v.snapshots.includes(snapshot))
      throw new HttpError(404, `no snapshot "${snapshot}" of "${name}"`);
    const len = Math.max(0, Math.min(length, v.sizeBytes - offset));
    const out = Buffer.alloc(len);
    const fd = openSync(snapshot === undefined ? this.image(name) : this.image(`${name}@${snapshot}`), 'r');
    try {
      readSync(fd, out, 0, len, offset);
    } finally {
      closeSync(fd);
    }
    return out;
  }

  snapshot(name: string, snap: string): Volume {
    if (!nameRule.test(snap)) throw new HttpError(400, `invalid snapshot name "${snap}"`);
    if (this.get(name).snapshots.includes(snap)) throw new HttpError(409, `snapshot "${snap}" of "${name}" exists`);
    const target = this.image(`${name}@${snap}`);
    copyFileSync(this.image(name), target);
    const fd = openSync(target, 'r');
    fsyncSync(fd);
    closeSync(fd);
    return this.store.update((s) => {
      (s[name] as Volume).snapshots.push(snap);
    })[name] as Volume;
  }

  /** the volume's image file, on the lab storage every worker sees (what a worker's QEMU opens as the VM's disk) */
  imagePath(name: string): string {
    this.get(name);
    return this.image(name);
  }

  private image(name: string): string {
    return join(this.dir, `${name}.img`);
  }
}
