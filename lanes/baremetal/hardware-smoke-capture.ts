import { readFile } from 'node:fs/promises';
import { AbortError } from 'p-retry';
import { HarnessError } from '../../contracts/errors.ts';
import { type MarkerHit, waitForMarkers } from '../../helpers/markers.ts';
import { sshExec } from '../../helpers/ssh.ts';
import type { HardwareSmokeContext } from './hardware-smoke-bmc.ts';
import type { HardwareSmokeInputs } from './hardware-smoke-inputs.ts';
import { expectedMarkers, failureMarkers } from './hardware-smoke-pack.ts';

/**
 * Wait on a serial console log (live: the file may still be growing) for `sequence`, failing at once on a failure
 * marker; store the console and the matched marker lines in the proof root.
 */
export async function captureFromSerialLog<C>(
  ctx: HardwareSmokeContext<C>,
  serialLog: string,
  sequence: readonly string[],
  timeoutMs: number,
): Promise<MarkerHit[]> {
  try {
    const result = await waitForMarkers(serialLog, sequence, {
      failure: failureMarkers,
      timeoutMs,
      signal: ctx.signal,
      label: `serial log ${serialLog}`,
      onMarker: (e) => ctx.log(`marker ${e.name}`),
    });
    ctx.check(`console shows ${sequence.join(' → ')}`, true);
    return result.hits;
  } catch (err) {
    if (err instanceof HarnessError || !(err instanceof Error)) throw err;
    ctx.check(`console shows ${sequence.join(' → ')}`, false, err.message);
    throw err;
  } finally {
    const console = await readFile(serialLog).catch(() => undefined);
    if (console) await ctx.artifact('serial-console.log', console.toString('utf8'));
  }
}

/** What the installed host is asked over SSH: the system it runs, and the markers its journal kept (if any). */
export const sshEvidenceCommand =
  'echo "current-system=$(readlink /run/current-system)"; ' +
  '(journalctl -b -o cat 2>/dev/null | grep ULTRACLOUD_MARKER) || true';

/**
 * Over SSH: retry until the installed host runs the desired system (/run/current-system names it, which nix-agent
 * only switches after activating it). A failure marker in its journal ends the wait at once.
 */
export async function captureOverSsh<C>(ctx: HardwareSmokeContext<C>, inputs: HardwareSmokeInputs): Promise<string> {
  const ssh = inputs.ssh as NonNullable<HardwareSmokeInputs['ssh']>;
  const desired = inputs.desiredSystem as string;
  const privateKey = await readFile(ssh.keyFile);
  const target = { host: ssh.host, port: ssh.port, user: ssh.user, privateKey };
  const output = await ctx.eventually(
    'installed host runs the desired system (SSH)',
    async () => {
      const res = await sshExec(target, sshEvidenceCommand, { timeoutMs: 30_000, connectTimeoutMs: 10_000 });
      const failed = /ULTRACLOUD_MARKER ((?:install|post-install)\.failed\.\S+)/.exec(res.stdout);
      if (failed) throw new AbortError(`installed host reports failure marker ${failed[1]}`);
      const current = /^current-system=(.*)$/m.exec(res.stdout)?.[1]?.trim() ?? '';
      if (!current.endsWith(desired)) {
        throw new Error(`/run/current-system is "${current || '(absent)'}", not the desired ${desired}`);
      }
      return res.stdout;
    },
    { timeoutMs: inputs.timeoutMs, maxIntervalMs: 5_000 },
  );
  await ctx.artifact('ssh-evidence.txt', output);
  return output;
}

export function markerReport(hits: MarkerHit[]): string {
  return `${hits.map((h) => `${h.pattern}\t${h.marker}\t+${h.elapsedMs}ms\t${h.line.trim()}`).join('\n')}\n`;
}

export const fullSequence = expectedMarkers;
export const throughReboot = expectedMarkers.slice(0, expectedMarkers.indexOf('reboot.*') + 1);
