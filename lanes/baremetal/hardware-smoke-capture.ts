import { readFile } from 'node:fs/promises';
import { HarnessError } from '../../helpers/errors.ts';
import { type MarkerHit, waitForMarkers } from '../../helpers/markers.ts';
import { sshExec } from '../../helpers/ssh.ts';
import type { HardwareSmokeContext } from './hardware-smoke-bmc.ts';
import type { HardwareSmokeInputs } from './hardware-smoke-inputs.ts';
import { expectedMarkers, failureMarkers } from './hardware-smoke-pack.ts';

/** The command whose output is the installed host's evidence when capturing over SSH. */
export const sshEvidenceCommand =
  'readlink /run/current-system; journalctl -b -o cat 2>/dev/null | grep ULTRACLOUD_MARKER; ' +
  'grep -h ULTRACLOUD_MARKER /run/ultracloud/*.log 2>/dev/null; true';

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

/** Over SSH: retry the evidence command until the installed host shows desired-system-active. */
export async function captureOverSsh<C>(ctx: HardwareSmokeContext<C>, inputs: HardwareSmokeInputs): Promise<string> {
  const ssh = inputs.ssh as NonNullable<HardwareSmokeInputs['ssh']>;
  const privateKey = await readFile(ssh.keyFile);
  const output = await ctx.eventually(
    'installed host reports desired-system-active over SSH',
    async () => {
      const res = await sshExec({ host: ssh.host, port: ssh.port, user: ssh.user, privateKey }, sshEvidenceCommand, {
        timeoutMs: 30_000,
      });
      if (/ULTRACLOUD_MARKER (install|post-install)\.failed\./.test(res.stdout)) {
        throw new HarnessError(`installed host reports a failure marker:\n${res.stdout}`);
      }
      if (!/ULTRACLOUD_MARKER desired-system-active\./.test(res.stdout)) {
        throw new Error(`no desired-system-active marker yet; output: ${res.stdout.trim().slice(-300)}`);
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
