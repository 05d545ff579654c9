import { existsSync, readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { runLane } from '../../harness/run-lane.ts';
import { projectRoot, workRoot, workTempDir } from '../../helpers/proof-root.ts';
import { sshExec } from '../../helpers/ssh.ts';
import { stopKeptQuickstartVms } from '../../helpers/vm-runner/kept.ts';
import { labQuickstartTarget } from '../../lab/target/quickstart/lab-quickstart-target.ts';
import { singleNodeQuickstart } from '../../lanes/quickstart/single-node-quickstart.ts';

// ULTRACLOUD_QUICKSTART_KEEP_VM=1: a passing lane leaves its VM running, says how to reach and stop it, and
// `ucproof cluster stop` ends it.
let root: string | undefined;
afterAll(async () => {
  delete process.env.ULTRACLOUD_QUICKSTART_KEEP_VM;
  if (!root) return;
  await stopKeptQuickstartVms(workRoot());
  await rm(root, { recursive: true, force: true });
});

describe('a kept quickstart VM', { timeout: 15 * 60_000 }, () => {
  it('stays up after a pass, answers the printed SSH command, and cluster stop ends it', async () => {
    root = await workTempDir('quickstart-keep-');
    process.env.ULTRACLOUD_QUICKSTART_KEEP_VM = '1';
    const result = await runLane(singleNodeQuickstart, {
      target: labQuickstartTarget(),
      targetName: 'reference-lab',
      workRoot: root,
      log: () => {},
    });
    expect(result.status, JSON.stringify(result.failure)).toBe('passed');
    const proofRoot = join(root, 'single-node-quickstart', 'latest');
    const how = await readFile(join(proofRoot, 'kept-vm.txt'), 'utf8');
    const ssh = /^ssh: ssh -i (\S+) -p (\d+) .* root@127\.0\.0\.1$/m.exec(how);
    expect(ssh, how).not.toBeNull();
    expect(how).toMatch(/^serial log: \S+serial\.log$/m);
    expect(how).toMatch(/^stop: .*ucproof cluster stop$/m);
    // the printed command's key and port reach the running guest
    const [, key, port] = ssh as RegExpExecArray;
    const r = await sshExec(
      { host: '127.0.0.1', port: Number(port), user: 'root', privateKey: await readFile(key as string, 'utf8') },
      'hostname',
      { timeoutMs: 30_000 },
    );
    expect(r.stdout.trim()).toBe('single-node-quickstart');
    // recorded under the work root, where `cluster stop` and `clean` look
    const kept = join(workRoot(), 'quickstart-vms');
    expect(readdirSync(kept).filter((f) => f.startsWith('single-node-quickstart-'))).toHaveLength(1);

    const stop = await execa(process.execPath, [join(projectRoot, 'cli/main.ts'), 'cluster', 'stop'], {
      env: { ULTRACLOUD_WORK_ROOT: workRoot() },
      reject: false,
    });
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/quickstart VM single-node-quickstart stopped/);
    const after = await sshExec(
      { host: '127.0.0.1', port: Number(port), user: 'root', privateKey: await readFile(key as string, 'utf8') },
      'true',
      { timeoutMs: 10_000, connectTimeoutMs: 5_000 },
    ).then(
      () => 'answered',
      () => 'no answer',
    );
    expect(after).toBe('no answer');
    expect(existsSync(kept) ? readdirSync(kept) : []).toEqual([]);
  });
});
