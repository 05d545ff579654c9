import { HttpError } from '../common/http-service.ts';
import type { LabClusterNode } from '../common/service-env.ts';

/**
 * CoronaFS's own client of LightningStor: object PUTs and GETs over the lab network to the cluster's LightningStor
 * instances, the first that answers in topology order (every instance holds every acknowledged write).
 */
export class ObjectStoreClient {
  private readonly stores: Array<{ name: string; base: string }>;

  constructor(nodes: LabClusterNode[]) {
    this.stores = nodes.flatMap((n) => {
      const ep = n.services.lightningstor;
      return ep ? [{ name: n.name, base: `http://${ep.host}:${ep.port}/v1/buckets` }] : [];
    });
  }

  async put(bucket: string, key: string, data: Buffer): Promise<{ versionId: string; store: string }> {
    const { res, store } = await this.call(objectPath(bucket, key), { method: 'PUT', body: data });
    const answer = (await res.json().catch(() => ({}))) as { versionId?: unknown; error?: unknown };
    if (!res.ok || typeof answer.versionId !== 'string') {
      throw new HttpError(
        502,
        `LightningStor on ${store} refused the PUT of ${bucket}/${key}: ${res.status} ${String(answer.error ?? '')}`,
      );
    }
    return { versionId: answer.versionId, store };
  }

  async get(ref: { bucket: string; key: string; versionId?: string }): Promise<{ bytes: Buffer; store: string }> {
    const query = ref.versionId ? `?versionId=${encodeURIComponent(ref.versionId)}` : '';
    const { res, store } = await this.call(objectPath(ref.bucket, ref.key) + query, { method: 'GET' });
    if (res.status === 404) throw new HttpError(404, `no object ${ref.bucket}/${ref.key} in LightningStor`);
    if (!res.ok)
      throw new HttpError(502, `LightningStor on ${store} answered ${res.status} for ${ref.bucket}/${ref.key}`);
    return { bytes: Buffer.from(await res.arrayBuffer()), store };
  }

  private async call(path: string, init: RequestInit): Promise<{ res: Response; store: string }> {
    if (this.stores.length === 0) throw new HttpError(503, 'no LightningStor instance in the cluster');
    const unreachable: string[] = [];
    for (const store of this.stores) {
      try {
        const res = await fetch(store.base + path, {
          ...init,
          headers: { 'content-type': 'application/octet-stream' },
          signal: AbortSignal.timeout(30_000),
        });
        return { res, store: store.name };
      } catch (err) {
        unreachable.push(`${store.name} (${(err as Error).message})`);
      }
    }
    throw new HttpError(503, `no LightningStor instance answers: ${unreachable.join(', ')}`);
  }
}

function objectPath(bucket: string, key: string): string {
  return `/${encodeURIComponent(bucket)}/objects/${key.split('/').map(encodeURIComponent).join('/')}`;
}
