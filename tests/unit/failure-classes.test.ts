import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { laneFile, suiteSummary } from '../../cli/commands/proof.ts';
import {
  BindingRequiredError,
  BlockedError,
  failureClassOf,
  HarnessError,
  PropertyViolation,
  WaitTimeoutError,
} from '../../contracts/errors.ts';
import { rerunCommand, writeFailureBundleSync } from '../../harness/failure-bundle.ts';
import { harnessFailurePrefix, retriesLane } from '../../harness/proof-lane.ts';
import { MarkerFailureError } from '../../helpers/marker-errors.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { LabNodeHandle } from '../../lab/target/lab-node-handle.ts';
import type { NodeSpec } from '../../profiles/descriptor-schema.ts';
import { LaneResult } from '../../profiles/result-schema.ts';
import { formatJUnit, type JUnitCase } from '../../reporters/junit.ts';

const refused = Object.assign(new Error('connect ECONNREFUSED 10.210.0.4:2379'), { code: 'ECONNREFUSED' });

describe('failure classes', () => {
  it('a violated property is property; a blocked lane is neither; anything else that stops a lane is harness', () => {
    expect(failureClassOf(new PropertyViolation('members agree', ['lane', 'step']))).toBe('property');
    const state = { awaiting: 'node.ready', seen: [], source: 'console' };
    expect(failureClassOf(new MarkerFailureError(state as never, 'PANIC', 'PANIC', 'PANIC', 10))).toBe('property');
    expect(failureClassOf(refused)).toBe('harness');
    expect(failureClassOf(new Error('read ECONNRESET'))).toBe('harness');
    expect(failureClassOf(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080'))).toBe('harness');
    expect(failureClassOf(new HarnessError('chainfire: leader changed'))).toBe('harness');
    expect(failureClassOf(new WaitTimeoutError('node04 did not answer within 5000 ms', 5000))).toBe('harness');
    expect(failureClassOf(new BlockedError(['/dev/kvm']))).toBeNull();
    expect(failureClassOf(new BindingRequiredError('chainfire.members', 't'))).toBeNull();
  });

  it("Vitest's retry condition reruns a broken harness, never a broken property or a lane timeout", () => {
    expect(retriesLane.test(`${harnessFailurePrefix}lane › step: connect ECONNREFUSED 10.210.0.4:2379`)).toBe(true);
    expect(retriesLane.test('lane › step: property "members agree" violated: broken harness: no')).toBe(false);
    expect(retriesLane.test('Test timed out in 1200000ms.')).toBe(false);
    expect(retriesLane.test('lane: the lane has not finished')).toBe(false);
  });
});

describe('JUnit shape', () => {
  const at = new Date('2026-12-04T00:00:00Z');
  const c = (name: string, outcome: JUnitCase['outcome'], extra: Partial<JUnitCase> = {}): JUnitCase => ({
    name,
    classname: `tests/${name}.test.ts`,
    timeSeconds: 1,
    outcome,
    message: `${name} message`,
    ...extra,
  });

  it('a property is a <failure>, a harness fault or timeout an <error> of its type, flaky a passing case', () => {
    const xml = formatJUnit(
      'suite',
      [
        c('prop', 'property'),
        c('harn', 'harness'),
        c('slow', 'timeout'),
        c('flak', 'flaky', {
          earlier: [{ failureClass: 'harness', type: 'harness', message: 'connect ECONNREFUSED 10.210.0.4:2379' }],
        }),
        c('ok', 'passed'),
      ],
      false,
      at,
    );
    expect(xml).toMatch(/<testsuite [^>]*tests="5" failures="1" errors="2" skipped="0"/);
    expect(xml).toMatch(/name="prop"[^>]*>\n {6}<failure type="property" message="prop message">/);
    expect(xml).toMatch(/name="harn"[^>]*>\n {6}<error type="harness" message="harn message">/);
    expect(xml).toMatch(/name="slow"[^>]*>\n {6}<error type="timeout" message="slow message">/);
    const flaky = xml.slice(xml.indexOf('name="flak"'), xml.indexOf('name="ok"'));
    expect(flaky).toContain('<property name="status" value="flaky"/>');
    expect(flaky).toContain('<flakyError type="harness" message="connect ECONNREFUSED 10.210.0.4:2379"/>');
    expect(flaky).not.toMatch(/<(failure|error) /);
  });
});

describe('the failure bundle', () => {
  const made: string[] = [];
  afterEach(async () => {
    for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('rerun.txt carries the target-choosing ULTRACLOUD_* variables, never the run id or a secret-named one', () => {
    const cmd = rerunCommand({
      cwd: '/src/proof',
      file: 'tests/publishable/fresh-matrix.test.ts',
      lane: 'fresh-matrix',
      keepCluster: true,
      env: {
        ULTRACLOUD_WORK_ROOT: '/work/my root',
        ULTRACLOUD_TARGET_DESCRIPTOR: './t.json',
        ULTRACLOUD_RUN_ID: '20261204T000000Z-abcd',
        ULTRACLOUD_SUITE_NAME: 'vitest-suite',
        ULTRACLOUD_BMC_PASSWORD: 'hunter2',
        ULTRACLOUD_DEPLOY_TOKEN: 'tok-123456',
        ULTRACLOUD_KEEP_CLUSTER: '0',
        HOME: '/root',
      },
    });
    expect(cmd).toBe(
      "cd /src/proof && ULTRACLOUD_KEEP_CLUSTER=1 ULTRACLOUD_TARGET_DESCRIPTOR=./t.json ULTRACLOUD_WORK_ROOT='/work/my root' " +
        "npx vitest run tests/publishable/fresh-matrix.test.ts -t '^fresh-matrix$'",
    );
  });

  it('keeps the end of each log, redacted, and says which logs it could not read', async () => {
    const root = await workTempDir('failure-bundle-');
    made.push(root);
    registerSecret('bundle-s3cret-value');
    const log = join(root, 'src', 'chainfire.log');
    await mkdir(join(root, 'src'), { recursive: true });
    const lines = Array.from({ length: 10_000 }, (_, i) => `line ${i}`);
    await writeFile(log, `${lines.join('\n')}\nkey bundle-s3cret-value\nLAST\n`);
    const result = LaneResult.parse({
      schema: 'ultracloud-proof/result@1',
      lane: 'demo',
      group: 'lab',
      runId: 'r',
      target: 't',
      success: false,
      status: 'failed',
      startedAt: at(),
      finishedAt: at(),
      durationMs: 1,
      steps: [],
      failure: { kind: 'harness', stepPath: ['demo', 'step'], message: 'connect ECONNREFUSED 127.0.0.1:1' },
      failureClass: 'harness',
      artifacts: [],
      environment: {},
    });
    writeFailureBundleSync(root, result, {
      rerun: 'npx vitest run x -t ^demo$',
      logs: () => [
        { name: 'node01/chainfire.log', path: log },
        { name: 'node02/console.log', path: join(root, 'missing.log') },
        { name: '../escape.log', path: log },
      ],
    });
    const tail = await readFile(join(root, 'failure', 'logs', 'node01', 'chainfire.log'), 'utf8');
    expect(tail.endsWith('LAST\n')).toBe(true);
    expect(tail).not.toContain('bundle-s3cret-value');
    expect(tail.startsWith('line ')).toBe(true);
    expect(tail).not.toContain('line 0\n');
    const index = await readFile(join(root, 'failure', 'logs.txt'), 'utf8');
    expect(index).toMatch(/node02\/console\.log <- .*missing\.log \(unreadable: ENOENT\)/);
    expect(index).not.toContain('escape');
    expect(await readFile(join(root, 'failure', 'failure.txt'), 'utf8')).toContain('failure_class=harness');
  });
});

describe("a lab node's log files", () => {
  it("are each service's log and the supervisor's, from the node folder beside its console", async () => {
    const nodeDir = await workTempDir('lab-node-logs-');
    try {
      await mkdir(join(nodeDir, 'logs'), { recursive: true });
      for (const f of ['logs/chainfire.log', 'logs/sshd.log', 'logs/notes.txt', 'supervisor.log', 'key'])
        await writeFile(join(nodeDir, f), 'x\n');
      const spec = {
        name: 'node01',
        role: 'control-plane',
        address: '10.210.0.1',
        console: { kind: 'file', path: join(nodeDir, 'console.log') },
        ssh: { host: '10.210.0.1', port: 22, user: 'root' },
        services: {},
      } as unknown as NodeSpec;
      const node = new LabNodeHandle(spec, 'http://127.0.0.1:1', join(nodeDir, 'key'));
      expect(node.logFiles()).toEqual([
        { name: 'chainfire.log', path: join(nodeDir, 'logs', 'chainfire.log') },
        { name: 'sshd.log', path: join(nodeDir, 'logs', 'sshd.log') },
        { name: 'supervisor.log', path: join(nodeDir, 'supervisor.log') },
      ]);
    } finally {
      await rm(nodeDir, { recursive: true, force: true });
    }
  });
});

describe('ucproof proof summary', () => {
  it('names each failed lane with its failure class and rerun file, and each flaky and blocked lane', async () => {
    const root = await workTempDir('proof-summary-');
    try {
      const lane = (name: string, status: string, failureClass: string | null) => ({
        schema: 'ultracloud-proof/result@1',
        lane: name,
        group: 'publishable',
        runId: 'r',
        target: 't',
        success: status === 'flaky',
        status,
        startedAt: at(),
        finishedAt: at(),
        durationMs: 1,
        steps: [],
        failure: null,
        failureClass,
        failureBundle: status === 'failed' ? 'failure' : null,
        artifacts: [],
        environment: {},
      });
      const lanes = [
        ['prop-lane', 'failed', 'property'],
        ['harness-lane', 'failed', 'harness'],
        ['flaky-lane', 'flaky', null],
        ['ok-lane', 'passed', null],
      ] as const;
      for (const [name, status, cls] of lanes) {
        await mkdir(join(root, name), { recursive: true });
        await writeFile(join(root, name, 'result.json'), JSON.stringify(lane(name, status, cls)));
      }
      const suite = {
        schema: 'ultracloud-proof/suite-result@1',
        suite: 's',
        runId: 'r',
        success: false,
        status: 'failed',
        startedAt: at(),
        finishedAt: at(),
        lanes: [
          ...lanes.map(([name, status]) => ({ lane: name, status, proofRoot: join(root, name) })),
          { lane: 'kvm-lane', status: 'blocked', proofRoot: null, missing: ['/dev/kvm'] },
        ],
        environment: {},
      };
      await writeFile(join(root, 'suite.json'), JSON.stringify(suite));
      expect(suiteSummary(join(root, 'suite.json'))).toEqual([
        'blocked kvm-lane: missing /dev/kvm',
        `failed prop-lane (broken property); rerun: ${join(root, 'prop-lane', 'failure', 'rerun.txt')}`,
        `failed harness-lane (broken harness); rerun: ${join(root, 'harness-lane', 'failure', 'rerun.txt')}`,
        'flaky flaky-lane: passed on its rerun after a broken harness',
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('ucproof proof --lane', () => {
  it("finds a lane's file in its lane group, never a project test of the same name", () => {
    // tests/integration/quickstart-smoke.test.ts tests the flake's app; the lane is tests/quickstart/'s
    expect(laneFile('quickstart-smoke')).toBe(join('tests', 'quickstart', 'quickstart-smoke.test.ts'));
    expect(laneFile('fresh-smoke')).toBe(join('tests', 'publishable', 'fresh-smoke.test.ts'));
    expect(() => laneFile('qemu-guest')).toThrow('--lane: no lane named "qemu-guest"');
  });
});

function at(): string {
  return new Date().toISOString();
}
