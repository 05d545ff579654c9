import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import { runLane } from '../../harness/run-lane.ts';
import { socketPathIn, workRoot, workSocketPath, workTempDir } from '../../helpers/proof-root.ts';
import { runUnderFault } from '../portable/support/lane-under-fault.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

/**
 * A run keeps what it makes under the work root (or removes it): nothing of it stays in the host's /tmp. The
 * temporary folder is pointed at a private stand-in for the duration, so only what this run makes lands in it,
 * whatever other runs on the host do to the real /tmp meanwhile.
 */
let hostTmp = '';
let savedTmp: string | undefined;
const made: string[] = [];

beforeEach(async () => {
  hostTmp = await workTempDir('host-tmp-');
  made.push(hostTmp);
  savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = hostTmp;
});

afterEach(async () => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

function probeLane(name: string) {
  return defineLane<{ ok: boolean }>({
    name,
    group: 'portable',
    summary: 'probe',
    scopeContract: { supported: ['one step'] },
    async run(ctx) {
      await ctx.step('the probe runs', async () => ctx.check('the target answers ok', ctx.target.ok));
      await ctx.artifact('probe.json', { ok: true });
    },
  });
}

describe('temporary files', () => {
  it('sees what is left in the temporary folder it watches', async () => {
    await mkdir(join(hostTmp, `ucp-left-${randomBytes(2).toString('hex')}`));
    expect(await readdir(hostTmp)).toHaveLength(1);
  });

  it("a negative lane helper's run under a fault keeps its work root under the work root, none in /tmp", async () => {
    const name = `tmp-hygiene-${randomBytes(3).toString('hex')}`;
    const switched: string[] = [];
    const cluster = {
      descriptor: { name: 'probe-target', nodes: [] },
      // a target that binds no read the start shape makes and cannot be restored: the shape is all unchecked
      unbound: (operations: readonly string[]) => [...operations],
      restore: null,
      faults: {
        set: async (service: string, fault: string) => void switched.push(`+${service}:${fault}`),
        clear: async (service: string, fault: string) => void switched.push(`-${service}:${fault}`),
      },
    } as unknown as Cluster;
    const result = await runUnderFault(probeLane(name), cluster, { ok: true }, { service: 'chainfire', fault: 'f' });
    expect(result.status).toBe('passed');
    expect(switched).toEqual(['+chainfire:f', '-chainfire:f']);
    const roots = (await readdir(join(workRoot(), 'tmp'))).filter((e) => e.startsWith(`${name}-fault-`));
    expect(roots).toHaveLength(1);
    made.push(...roots.map((r) => join(workRoot(), 'tmp', r)));
    expect(await readdir(hostTmp)).toEqual([]);
  });

  it('runLane in a work root writes nothing to /tmp', async () => {
    const root = await workTempDir('runlane-');
    made.push(root);
    const result = await runLane(probeLane('tmp-hygiene-run-lane'), {
      target: { ok: true },
      targetName: 't',
      runId: 'r1',
      workRoot: root,
      log: () => {},
    });
    expect(result.status).toBe('passed');
    expect(await readdir(hostTmp)).toEqual([]);
  });

  it("a QMP or service socket lives in its owner's folder, and only a path too long for a socket uses /tmp", async () => {
    const root = await workTempDir('sockets-');
    made.push(root);
    const qmp = workSocketPath('qs-0123abcd.qmp', root);
    expect(qmp).toBe(join(root, 'run', 'qs-0123abcd.qmp'));
    expect(await readdir(join(root, 'run'))).toEqual([]);
    expect(socketPathIn(join(root, 'guest'), 'qmp.sock')).toBe(join(root, 'guest', 'qmp.sock'));
    const deep = join(root, 'x'.repeat(120));
    const fallback = socketPathIn(deep, 'qmp.sock');
    expect(fallback.startsWith(`${hostTmp}/ucp-`)).toBe(true);
    expect(fallback.endsWith('-qmp.sock')).toBe(true);
    // the fallback name is the folder's own: the owner finds and removes it, another owner never shares it
    expect(socketPathIn(deep, 'qmp.sock')).toBe(fallback);
    expect(socketPathIn(`${deep}y`, 'qmp.sock')).not.toBe(fallback);
    expect(Buffer.byteLength(fallback)).toBeLessThanOrEqual(100);
  });

  it('a lab service that refuses to start leaves no folder of its own in /tmp; one that ran, none after dispose', async () => {
    await expect(
      LabServiceProcess.start({ service: 'deployer', env: { UCP_DEPLOYER_ALLOW_UNAUTHENTICATED: 'maybe' } }),
    ).rejects.toThrow(/UCP_DEPLOYER_ALLOW_UNAUTHENTICATED must be true or false/);
    expect(await readdir(hostTmp)).toEqual([]);
    const svc = await LabServiceProcess.start({ service: 'deployer', env: { UCP_DEPLOYER_BOOTSTRAP_TOKEN: 't0k3n' } });
    expect((await readdir(hostTmp)).filter((e) => e.startsWith('ucp-deployer-'))).toHaveLength(1);
    await svc.dispose();
    expect(await readdir(hostTmp)).toEqual([]);
  });
});
