import { z } from 'zod';
import { requestJson } from '../../../helpers/http.ts';
import { HttpError } from '../common/http-service.ts';
import type { ServiceEnvironment } from '../common/service-env.ts';

/** A VM disk that is a CoronaFS volume: its name and the node whose CoronaFS holds it. */
export interface VmVolume {
  name: string;
  holder: string;
}

const VolumeState = z.object({ name: z.string(), attachedTo: z.string().nullable() });
const VolumeImage = z.object({ name: z.string(), path: z.string().min(1) });

/** The CoronaFS API of `node`, from the cluster description; null when that node runs no CoronaFS. */
export function coronafsUrl(env: ServiceEnvironment, node: string): string | null {
  const endpoint = env.cluster.nodes.find((n) => n.name === node)?.services.coronafs;
  return endpoint ? `http://${endpoint.host}:${endpoint.port}` : null;
}

function holderUrl(env: ServiceEnvironment, volume: VmVolume): string {
  const url = coronafsUrl(env, volume.holder);
  if (!url) throw new HttpError(502, `node ${volume.holder}, which holds volume ${volume.name}, runs no coronafs`);
  return url;
}

/**
 * A new VM's disk as a CoronaFS volume of this worker's CoronaFS, attached to this worker: the volume and the path
 * of its image on the storage every worker sees. Null when this node runs no CoronaFS (a single-node profile).
 */
export async function createVolumeDisk(
  env: ServiceEnvironment,
  name: string,
  sizeBytes: number,
): Promise<{ volume: VmVolume; path: string } | null> {
  const url = coronafsUrl(env, env.node);
  if (!url) return null;
  await requestJson('POST', `${url}/v1/volumes`, { body: { name, sizeBytes } });
  await requestJson('POST', `${url}/v1/volumes/${name}/attach`, { body: { node: env.node } });
  const image = VolumeImage.parse(await requestJson('GET', `${url}/v1/volumes/${name}/image`));
  return { volume: { name, holder: env.node }, path: image.path };
}

/** Hand the volume's attachment from `from` to `to` (after a migration: the destination now writes it). */
export async function handOffVolume(
  env: ServiceEnvironment,
  volume: VmVolume,
  from: string,
  to: string,
): Promise<void> {
  const url = holderUrl(env, volume);
  const state = VolumeState.parse(await requestJson('GET', `${url}/v1/volumes/${volume.name}`));
  if (state.attachedTo === from)
    await requestJson('POST', `${url}/v1/volumes/${volume.name}/detach`, { body: { node: from } });
  await requestJson('POST', `${url}/v1/volumes/${volume.name}/attach`, { body: { node: to } });
}

/** Detach the volume from whichever node has it (a deleted VM; CoronaFS has no volume delete). */
export async function releaseVolume(env: ServiceEnvironment, volume: VmVolume): Promise<void> {
  const url = holderUrl(env, volume);
  const state = VolumeState.parse(await requestJson('GET', `${url}/v1/volumes/${volume.name}`));
  if (state.attachedTo) {
    await requestJson('POST', `${url}/v1/volumes/${volume.name}/detach`, { body: { node: state.attachedTo } });
  }
}
