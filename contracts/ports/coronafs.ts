import { z } from 'zod';

export interface Volume {
  name: string;
  sizeBytes: number;
  attachedTo: string | null;
  snapshots: string[];
}

/** Where CoronaFS puts a snapshot in LightningStor, or reads a volume's bytes from. */
export interface ObjectRef {
  bucket: string;
  key: string;
  /** on reads, the version to fetch (default: the latest) */
  versionId?: string;
}

/** What CoronaFS answers once it has PUT a snapshot's image into LightningStor itself (the wire shape). */
export const SnapshotExportSchema = z.object({
  volume: z.string(),
  snapshot: z.string(),
  bucket: z.string(),
  key: z.string(),
  /** the object version LightningStor acknowledged to CoronaFS */
  versionId: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  /** the LightningStor node that took the PUT */
  store: z.string(),
});
export type SnapshotExport = z.infer<typeof SnapshotExportSchema>;

/** CoronaFS: shared volumes attached to one node at a time, with snapshots and export. */
export interface CoronafsPort {
  at(node: string): CoronafsPort;
  createVolume(name: string, sizeBytes: number): Promise<Volume>;
  volume(name: string): Promise<Volume>;
  listVolumes(): Promise<Volume[]>;
  attach(name: string, node: string): Promise<Volume>;
  detach(name: string, node: string): Promise<Volume>;
  /** write as the attached node; refused (409) from any other node */
  write(name: string, node: string, offset: number, data: Uint8Array | string): Promise<void>;
  read(name: string, offset: number, length: number, snapshot?: string): Promise<Buffer>;
  snapshot(name: string, snapshot: string): Promise<Volume>;
  /** the whole image and its sha256 */
  export(name: string): Promise<{ image: Buffer; sha256: string }>;
  /** CoronaFS itself PUTs the image of a snapshot into LightningStor as `to.bucket`/`to.key` */
  exportSnapshot(name: string, snapshot: string, to: ObjectRef): Promise<SnapshotExport>;
  /** a new volume holding an object's bytes, fetched from LightningStor by CoronaFS itself; its size the object's */
  createVolumeFromObject(name: string, from: ObjectRef): Promise<Volume>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const coronafsOperations = [
  'at',
  'createVolume',
  'volume',
  'listVolumes',
  'attach',
  'detach',
  'write',
  'read',
  'snapshot',
  'export',
  'exportSnapshot',
  'createVolumeFromObject',
] as const satisfies readonly (keyof CoronafsPort)[];
