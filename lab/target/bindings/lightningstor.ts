import { z } from 'zod';
import { type Bucket, type LightningstorPort, ObjectVersionSchema } from '../../../contracts/ports/lightningstor.ts';
import { callJson, HttpCallError } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createLightningstorPort(binding: PortBinding, node?: string): LightningstorPort {
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
      const writer = res.headers.get('x-writer');
      return {
        body: Buffer.from(await res.arrayBuffer()),
        versionId: res.headers.get('x-version-id') ?? '',
        ...(writer ? { writer } : {}),
      };
    },
    deleteObject: (bucket, key) => callJson('DELETE', objectUrl(bucket, key)),
    async listObjectVersions(bucket, key) {
      const query = key === undefined ? '' : `?key=${enc(key)}`;
      const schema = z.object({ versions: z.array(ObjectVersionSchema) });
      return (await callJson<z.infer<typeof schema>>('GET', url(`/${enc(bucket)}/versions${query}`), { schema }))
        .versions;
    },
  };
}
