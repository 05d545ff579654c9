import { type Dirent, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** A dated proof root `<work>/<lane>/<run-id>/`. */
export interface ProofRoot {
  readonly lane: string;
  readonly runId: string;
  readonly path: string;
  /** when the run started: from a dated run id (20260410T164549+0900), else the directory's mtime */
  readonly startedAt: number;
  /** `<work>/<lane>/latest` points here */
  readonly latest: boolean;
}

/** Work-root folders that are not lanes even when they look like one. */
export const nonLaneFolders = new Set(['tmp', 'publishable-kvm-runtime', 'test-cluster']);

const datedRunId = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}:?\d{2})?/;

/** The time a run id names, in ms since the epoch, or undefined when it names none. */
export function runIdTime(runId: string): number | undefined {
  const m = datedRunId.exec(runId);
  if (!m) return undefined;
  const zone = !m[7] || m[7] === 'Z' ? 'Z' : `${m[7].slice(0, 3)}:${m[7].slice(-2)}`;
  const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

/** Every dated proof root under the work root, grouped by lane, newest first within a lane. */
export function listProofRoots(work: string): Map<string, ProofRoot[]> {
  const lanes = new Map<string, ProofRoot[]>();
  for (const lane of entries(work)) {
    if (!lane.isDirectory() || nonLaneFolders.has(lane.name)) continue;
    const laneDir = join(work, lane.name);
    const latest = latestTarget(laneDir);
    if (latest === undefined) continue;
    const runs: ProofRoot[] = [];
    for (const run of entries(laneDir)) {
      if (!run.isDirectory() || run.name === 'latest') continue;
      const path = join(laneDir, run.name);
      runs.push({
        lane: lane.name,
        runId: run.name,
        path,
        startedAt: runIdTime(run.name) ?? lstatSync(path).mtimeMs,
        latest: path === latest,
      });
    }
    runs.sort((a, b) => b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : -1));
    lanes.set(lane.name, runs);
  }
  return lanes;
}

/** The absolute directory `<laneDir>/latest` points at, or undefined when there is no such link. */
function latestTarget(laneDir: string): string | undefined {
  try {
    return resolve(laneDir, readlinkSync(join(laneDir, 'latest')));
  } catch {
    return undefined;
  }
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return [];
  }
}

export function describeRoot(root: ProofRoot): string {
  return `${root.lane}/${basename(root.path)}`;
}
