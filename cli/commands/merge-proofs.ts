import { cp, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HarnessError } from '../../contracts/errors.ts';
import { replaceSymlink } from '../../helpers/atomic.ts';
import { workRoot } from '../../helpers/proof-root.ts';
import { LaneResult, SuiteResult } from '../../profiles/result-schema.ts';
import { durationsFile, LaneDurations, readDurations } from '../../reporters/durations.ts';
import { parseCommandArgs, UsageError } from '../usage.ts';

export const summary = "copy shards' proof roots into this work root and point each lane's latest at its newest run";

const help = `usage: ucproof merge-proofs DIR...

Each DIR is the work root of one shard of a sharded run (vitest run --shard=i/n), possibly from another host.
Copies into this work root (ULTRACLOUD_WORK_ROOT or ./work):
  <lane>/<run-id>/         every lane proof root (a folder whose result.json is a lane result)
  <suite>/<run-id>/        every suite proof root (result.json a suite result), as the shard wrote it
  blobs/<file>.json        the shard's Vitest blob reports from DIR/blob/, for vitest --merge-reports=<work>/blobs
  .lane-durations.json     the shards' test-file durations, added to this work root's (they balance later shards)
then points each lane's and suite's latest at its newest run (by start time). A proof root already here with
another result is a conflict: nothing of it is overwritten and the command exits 1.

Then: vitest --merge-reports=<work root>/blobs writes the merged suite root, junit.xml and junit-steps.xml.

exit status: 0 merged, 1 conflict or unreadable shard, 2 bad arguments`;

interface Found {
  kind: 'lane' | 'suite';
  name: string;
  runId: string;
  startedAt: string;
  dir: string;
  result: string;
}

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`name at least one shard work root\n\n${help}`);
  const target = resolve(workRoot());
  const dirs = positionals.map((p) => resolve(p));
  for (const dir of dirs) {
    const st = await stat(dir).catch(() => null);
    if (!st?.isDirectory()) throw new UsageError(`DIR "${dir}" is not a directory`);
    if (dir === target) throw new UsageError(`DIR "${dir}" is this work root itself`);
  }
  const conflicts: string[] = [];
  const newest = new Map<string, Found>();
  let durations = readDurations(target);
  for (const dir of dirs) {
    const found = await proofRoots(dir);
    let copied = 0;
    for (const f of found) {
      const dest = join(target, f.name, f.runId);
      const existing = await readFile(join(dest, 'result.json'), 'utf8').catch(() => null);
      if (existing !== null && existing !== f.result) {
        conflicts.push(`${f.name}/${f.runId} (from ${dir}) differs from the one already in ${target}`);
        continue;
      }
      if (existing === null) {
        await mkdir(join(target, f.name), { recursive: true });
        await cp(f.dir, dest, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
        copied += 1;
      }
      const key = `${f.kind}:${f.name}`;
      const prev = newest.get(key);
      if (!prev || prev.startedAt < f.startedAt) newest.set(key, f);
    }
    const blobs = await copyBlobs(dir, join(target, 'blobs'));
    durations = { ...durations, ...readDurations(dir) };
    const lanes = found.filter((f) => f.kind === 'lane').length;
    process.stderr.write(`merge-proofs: ${dir}: ${lanes} lane proof roots (${copied} copied), ${blobs} blob reports\n`);
  }
  for (const f of newest.values()) await replaceSymlink(join(target, f.name, f.runId), join(target, f.name, 'latest'));
  if (Object.keys(durations).length) {
    await mkdir(target, { recursive: true });
    const tmp = `${durationsFile(target)}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(LaneDurations.parse(durations), null, 2)}\n`);
    await rename(tmp, durationsFile(target));
  }
  if (conflicts.length) {
    process.stderr.write(`merge-proofs: conflicts, left as they were:\n${conflicts.map((c) => `  ${c}`).join('\n')}\n`);
    return 1;
  }
  process.stdout.write(`${target}\n`);
  return 0;
}

/** Every lane and suite proof root under a work root: <name>/<run-id>/result.json of either schema. */
async function proofRoots(root: string): Promise<Found[]> {
  const out: Found[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (name.startsWith('.') || name === 'blob' || name === 'blobs' || name === 'tmp') continue;
    const runs = await readdir(join(root, name), { withFileTypes: true }).catch(() => []);
    for (const run of runs) {
      if (!run.isDirectory()) continue;
      const dir = join(root, name, run.name);
      const text = await readFile(join(dir, 'result.json'), 'utf8').catch(() => null);
      if (text === null) continue;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new HarnessError(`${join(dir, 'result.json')} is not JSON: the shard's run did not finish writing it`);
      }
      const lane = LaneResult.safeParse(json);
      const suite = lane.success ? null : SuiteResult.safeParse(json);
      if (lane.success && lane.data.lane === name && lane.data.runId === run.name)
        out.push({ kind: 'lane', name, runId: run.name, startedAt: lane.data.startedAt, dir, result: text });
      else if (suite?.success && suite.data.suite === name && suite.data.runId === run.name)
        out.push({ kind: 'suite', name, runId: run.name, startedAt: suite.data.startedAt, dir, result: text });
    }
  }
  return out;
}

async function copyBlobs(shardRoot: string, dest: string): Promise<number> {
  const files = (await readdir(join(shardRoot, 'blob')).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  if (files.length) await mkdir(dest, { recursive: true });
  for (const f of files) await cp(join(shardRoot, 'blob', f), join(dest, f), { force: true });
  return files.length;
}
