import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Bucket, ObjectVersion as PortObjectVersion } from '../../../contracts/ports/lightningstor.ts';
import { HttpError } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';

// Buckets and versions are the published API shape (contracts/ports/lightningstor.ts); which version is the latest
// is derived when answering, not stored.
export type { Bucket } from '../../../contracts/ports/lightningstor.ts';
export type ObjectVersion = Omit<PortObjectVersion, 'isLatest'>;

interface State {
  buckets: Record<string, Bucket>;
  /** per bucket, every version of every key, oldest first */
  versions: Record<string, ObjectVersion[]>;
}

/** Buckets and versioned objects: the catalogue in a JsonStore, each version's bytes in its own fsynced file. */
export class ObjectStore {
  private readonly state: JsonStore<State>;
  private readonly dataDir: string;

  constructor(stateDir: string) {
    this.state = new JsonStore<State>(join(stateDir, 'catalogue.json'), () => ({ buckets: {}, versions: {} }));
    this.dataDir = join(stateDir, 'data');
    mkdirSync(this.dataDir, { recursive: true });
  }

  buckets(): Bucket[] {
    return Object.values(this.state.get().buckets);
  }

  bucket(name: string): Bucket {
    const bucket = this.state.get().buckets[name];
    if (!bucket) throw new HttpError(404, `no bucket "${name}"`);
    return bucket;
  }

  /** a new bucket's record, refused when the name is invalid or taken (not stored: see keepBucket) */
  newBucket(name: string, metadata: Record<string, string>): Bucket {
    if (!/^[a-z0-9][a-z0-9.-]{1,62}$/.test(name)) throw new HttpError(400, `invalid bucket name "${name}"`);
    if (this.state.get().buckets[name]) throw new HttpError(409, `bucket "${name}" already exists`);
    return { name, metadata, createdAt: new Date().toISOString() };
  }

  /** keep a bucket record; one already kept is left as it is */
  keepBucket(bucket: Bucket): Bucket {
    const name = bucket.name;
    if (this.state.get().buckets[name]) return this.bucket(name);
    this.state.update((s) => {
      s.buckets[name] = bucket;
      s.versions[name] = [];
    });
    return bucket;
  }

  setMetadata(name: string, metadata: Record<string, string>): Bucket {
    this.bucket(name);
    return this.state.update((s) => {
      (s.buckets[name] as Bucket).metadata = metadata;
    }).buckets[name] as Bucket;
  }

  versions(bucket: string, key?: string): ObjectVersion[] {
    this.bucket(bucket);
    const all = this.state.get().versions[bucket] ?? [];
    return key === undefined ? all : all.filter((v) => v.key === key);
  }

  /** a new version of `key` written by `writer` (not stored: see store) */
  newVersion(bucket: string, key: string, data: Buffer, writer: string): ObjectVersion {
    this.bucket(bucket);
    return this.record(bucket, key, data.length, createHash('sha256').update(data).digest('hex'), false, writer);
  }

  /** a new delete marker of `key` written by `writer` (not stored: see store) */
  newDeleteMarker(bucket: string, key: string, writer: string): ObjectVersion {
    this.bucket(bucket);
    return this.record(bucket, key, 0, '', true, writer);
  }

  /** keep a version (its bytes fsynced first); a version already kept is left as it is */
  store(bucket: string, version: ObjectVersion, data?: Buffer): ObjectVersion {
    this.bucket(bucket);
    if (this.versions(bucket).some((v) => v.versionId === version.versionId)) return version;
    if (!version.deleteMarker) {
      const fd = openSync(join(this.dataDir, version.versionId), 'w');
      try {
        writeSync(fd, data ?? Buffer.alloc(0));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    this.state.update((s) => {
      s.versions[bucket]?.push(version);
    });
    return version;
  }

  read(version: ObjectVersion): Buffer {
    return readFileSync(join(this.dataDir, version.versionId));
  }

  private record(
    bucket: string,
    key: string,
    size: number,
    sha256: string,
    deleteMarker: boolean,
    writer: string,
  ): ObjectVersion {
    if (!key) throw new HttpError(400, `empty object key in bucket "${bucket}"`);
    const versionId = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    return { key, versionId, size, sha256, deleteMarker, createdAt: new Date().toISOString(), writer };
  }
}
