export interface Volume {
  name: string;
  sizeBytes: number;
  attachedTo: string | null;
  snapshots: string[];
}

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
] as const satisfies readonly (keyof CoronafsPort)[];
