import { execa } from 'execa';
import { z } from 'zod';
import { HarnessError } from '../contracts/errors.ts';

/** What a raw disk image holds, read on the host with util-linux (sfdisk, blkid) from the file itself: no loop device. */
export interface DiskImageReadback {
  /** the partition table type as sfdisk names it (dos, gpt), or null when the disk has none */
  table: string | null;
  partitions: Array<{
    number: number;
    startBytes: number;
    sizeBytes: number;
    fsType: string | null;
    label: string | null;
  }>;
  /** a signature blkid finds on the whole disk (PTTYPE or TYPE), or null when it finds none */
  signature: string | null;
}

const sfdiskAnswer = z.object({
  partitiontable: z.object({
    label: z.string().min(1),
    sectorsize: z.number().int().positive().default(512),
    partitions: z
      .array(z.object({ node: z.string(), start: z.number().int().nonnegative(), size: z.number().int().positive() }))
      .default([]),
  }),
});

const diskTools = ['sfdisk', 'blkid'] as const;

/** The util-linux tools the readback needs that this host lacks (a lane is blocked on them, naming them). */
export async function missingDiskTools(): Promise<string[]> {
  const missing: string[] = [];
  for (const tool of diskTools) {
    const found = await execa(
      'sh',
      ['-c', 'command -v "$1" || test -x "/usr/sbin/$1" || test -x "/sbin/$1"', '_', tool],
      {
        reject: false,
      },
    );
    if (found.exitCode !== 0) missing.push(`${tool} (util-linux)`);
  }
  return missing;
}

const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`, LC_ALL: 'C' };

/** blkid's low-level probe (-p) of `path`, optionally of the byte range of one partition: its KEY=value fields. */
async function probe(path: string, range?: { offset: number; size: number }): Promise<Record<string, string>> {
  const args = ['-p', '-o', 'export', ...(range ? ['-O', String(range.offset), '-S', String(range.size)] : []), path];
  const out = await execa('blkid', args, { reject: false, env });
  // exit 2: nothing found
  if (out.exitCode === 2) return {};
  if (out.exitCode !== 0) throw new HarnessError(`blkid ${args.join(' ')} failed (${out.exitCode}): ${out.stderr}`);
  return Object.fromEntries(
    out.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Read back the partition table, each partition's file system and label, and any whole-disk signature of an image. */
export async function readDiskImage(path: string): Promise<DiskImageReadback> {
  const whole = await probe(path);
  const signature = whole.PTTYPE ?? whole.TYPE ?? null;
  const listed = await execa('sfdisk', ['--json', path], { reject: false, env });
  if (listed.exitCode !== 0) {
    if (/does not contain a recognized partition table/.test(listed.stderr))
      return { table: null, partitions: [], signature };
    throw new HarnessError(`sfdisk --json ${path} failed (${listed.exitCode}): ${listed.stderr.trim()}`);
  }
  const parsed = sfdiskAnswer.safeParse(JSON.parse(listed.stdout));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HarnessError(
      `sfdisk --json ${path} answered unexpected JSON: ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  const { label, sectorsize, partitions } = parsed.data.partitiontable;
  const read = await Promise.all(
    partitions.map(async (p, i) => {
      const range = { offset: p.start * sectorsize, size: p.size * sectorsize };
      const fs = await probe(path, range);
      return {
        number: Number(/(\d+)$/.exec(p.node)?.[1] ?? i + 1),
        startBytes: range.offset,
        sizeBytes: range.size,
        fsType: fs.TYPE ?? null,
        label: fs.LABEL ?? null,
      };
    }),
  );
  return { table: label, partitions: read, signature };
}

/** One line for a check's detail: "dos: 1 ext2 LABEL=nixos at 1048576" or "no partition table, no signature". */
export function describeReadback(r: DiskImageReadback): string {
  if (!r.table) return `no partition table, ${r.signature ? `signature ${r.signature}` : 'no signature'}`;
  const parts = r.partitions.map(
    (p) => `${p.number} ${p.fsType ?? 'no file system'} LABEL=${p.label ?? ''} at ${p.startBytes}`,
  );
  return `${r.table}: ${parts.join('; ') || 'no partitions'}`;
}
