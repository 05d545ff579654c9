import { callJson, HttpCallError } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export interface Bucket {
  name: string;
  metadata: Record<string, string>;
  createdAt: string;
}

export interface ObjectVersion {
  key: string;
  versionId: string;
  size: number;
  sha256: string;
  deleteMarker: boolean;
  isLatest: boolean;
  createdAt: string;
}

/** LightningStor: buckets with metadata and versioned objects. */
export interface LightningstorPort {
  /** the same port aimed at one node's instance */
  at(node: string): LightningstorPort;
  createBucket(name: string, metadata?: Record<string, string>): Promise<Bucket>;
  /** the bucket, or null when it does not exist */
  headBucket(name: string): Promise<Bucket | null>;
  updateBucketMetadata(name: string, metadata: Record<string, string>): Promise<Bucket>;
  listBuckets(): Promise<Bucket[]>;
  putObject(bucket: string, key: string, body: Uint8Array | string): Promise<{ versionId: string }>;
  /** the latest version, or the named one; null when absent or deleted */
  getObject(bucket: string, key: string, versionId?: string): Promise<{ body: Buffer; versionId: string } | null>;
  /** writes a delete marker */
  deleteObject(bucket: string, key: string): Promise<{ versionId: string }>;
  listObjectVersions(bucket: string, key?: string): Promise<ObjectVersion[]>;
}

export function createLightningstorPort(binding: PortBinding, node?: string): LightningstorPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (path: string) => `${instanceUrl(binding, 'lightningstor', node)}/v1/buckets${path}`;
  const enc = encodeURIComponent;
  const objectUrl = (bucket: string, key: string) =>
    url(`/${enc(bucket)}/objects/${key.split('/').map(enc).join('/')}`);
  return {
    at: (n) => createLightningstorPort(binding, n),
    createBucket: (name, metadata = {}) => callJson('PUT', url(`/${enc(name)}`), { body: { metadata } }),
    async headBucket(name) {
      try {
        return await callJson<Bucket>('GET', url(`/${enc(name)}`));
      } catch (err) {
        if (err instanceof HttpCallError && err.status === 404) return null;
        throw err;
      }
    },
    updateBucketMetadata: (name, metadata) => callJson('PUT', url(`/${enc(name)}/metadata`), { body: { metadata } }),
    listBuckets: async () => (await callJson<{ buckets: Bucket[] }>('GET', url(''))).buckets,
    async putObject(bucket, key, body) {
      const res = await fetch(objectUrl(bucket, key), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: typeof body === 'string' ? body : Buffer.from(body),
        signal: AbortSignal.timeout(30_000),
      });
      const answer = (await res.json()) as { versionId?: string; error?: string };
      if (!res.ok || !answer.versionId) throw new HttpCallError('PUT', res.url, res.status, answer);
      return { versionId: answer.versionId };
    },
    async getObject(bucket, key, versionId) {
      const target = objectUrl(bucket, key) + (versionId ? `?versionId=${enc(versionId)}` : '');
      const res = await fetch(target, { signal: AbortSignal.timeout(30_000) });
      if (res.status === 404) return null;
      if (!res.ok) throw new HttpCallError('GET', target, res.status, await res.text());
      return { body: Buffer.from(await res.arrayBuffer()), versionId: res.headers.get('x-version-id') ?? '' };
    },
    deleteObject: (bucket, key) => callJson('DELETE', objectUrl(bucket, key)),
    async listObjectVersions(bucket, key) {
      const query = key === undefined ? '' : `?key=${enc(key)}`;
      return (await callJson<{ versions: ObjectVersion[] }>('GET', url(`/${enc(bucket)}/versions${query}`))).versions;
    },
  };
}

function unbound(binding: PortBinding): LightningstorPort {
  const missing = (operation: string) => () => bindingRequired(binding, 'lightningstor', operation);
  return {
    at: () => unbound(binding),
    createBucket: missing('createBucket'),
    headBucket: missing('headBucket'),
    updateBucketMetadata: missing('updateBucketMetadata'),
    listBuckets: missing('listBuckets'),
    putObject: missing('putObject'),
    getObject: missing('getObject'),
    deleteObject: missing('deleteObject'),
    listObjectVersions: missing('listObjectVersions'),
  };
}
