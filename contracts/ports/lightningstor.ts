import { z } from 'zod';

export interface Bucket {
  name: string;
  metadata: Record<string, string>;
  createdAt: string;
}

/** One version of an object as LightningStor lists it (the wire shape, checked by the bindings). */
export const ObjectVersionSchema = z.object({
  key: z.string(),
  versionId: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  deleteMarker: z.boolean(),
  isLatest: z.boolean(),
  createdAt: z.string(),
  /** the remote address of the PUT (or DELETE) request as the LightningStor server saw it, IPv4 without port */
  writer: z.string().optional(),
});
export type ObjectVersion = z.infer<typeof ObjectVersionSchema>;

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
  /** the latest version, or the named one (with the address that wrote it); null when absent or deleted */
  getObject(
    bucket: string,
    key: string,
    versionId?: string,
  ): Promise<{ body: Buffer; versionId: string; writer?: string } | null>;
  /** writes a delete marker */
  deleteObject(bucket: string, key: string): Promise<{ versionId: string }>;
  listObjectVersions(bucket: string, key?: string): Promise<ObjectVersion[]>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const lightningstorOperations = [
  'at',
  'createBucket',
  'headBucket',
  'updateBucketMetadata',
  'listBuckets',
  'putObject',
  'getObject',
  'deleteObject',
  'listObjectVersions',
] as const satisfies readonly (keyof LightningstorPort)[];
