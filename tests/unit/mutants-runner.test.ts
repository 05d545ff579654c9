import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Mutant } from '../../benchmarks/mutants/catalogue.ts';
import {
  applyMutant,
  classifyRun,
  latestLaneResult,
  type MutantRow,
  MutantsUsageError,
  mergeResults,
  type ProofPower,
  parseMutantsArgs,
  renderReport,
  scratchCopy,
  selectMutants,
  totals,
} from '../../benchmarks/mutants/runner.ts';
import { projectRoot } from '../../helpers/proof-root.ts';

const catalogue: Mutant[] = [
  { id: 'a', file: 'lab/x.ts', lane: 'fresh-smoke', breaks: 'a does not happen', search: 'x', replace: 'y' },
  { id: 'b', file: 'lab/x.ts', lane: 'fresh-matrix', breaks: 'b does not happen', search: 'x', replace: 'z' },
  { id: 'c', file: 'lab/y.ts', lane: 'fresh-matrix', breaks: 'c is rejected', search: 'q', replace: 'r' },
];

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ucproof-mutants-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const laneResult = (over: Record<string, unknown>) => ({
  schema: 'ultracloud-proof/result@1',
  lane: 'fresh-matrix',
  group: 'publishable',
  runId: '20261203T120000Z-abcd',
  target: 'reference-lab',
  success: false,
  status: 'failed',
  startedAt: '2026-12-03T12:00:00.000Z',
  finishedAt: '2026-12-03T12:01:00.000Z',
  durationMs: 60_000,
  steps: [],
  failure: null,
  artifacts: [],
  environment: {},
  ...over,
});

describe('mutants runner options', () => {
  it('reads --only, --lane, --keep, --list and --timeout', () => {
    const o = parseMutantsArgs(['--only', 'a,c', '--keep', '--timeout=3', '--lane', 'fresh-matrix'], catalogue);
    expect(o).toMatchObject({ only: ['a', 'c'], keep: true, timeoutMinutes: 3, lane: 'fresh-matrix', list: false });
    expect(parseMutantsArgs(['--list'], catalogue).list).toBe(true);
    expect(parseMutantsArgs([], catalogue)).toMatchObject({ only: null, lane: null, timeoutMinutes: 15 });
  });

  it.each([
    [['--bogus'], /unknown option --bogus/],
    [['--only'], /--only needs a value/],
    [['--only', 'a,nope'], /--only names unknown mutant\(s\): nope/],
    [['--lane', 'no-such-lane'], /--lane must be one of .*got "no-such-lane"/],
    [['--timeout', '0'], /--timeout must be a positive number/],
    [['--timeout', 'soon'], /--timeout must be a positive number/],
    [['--keep=yes'], /--keep takes no value/],
    [['--only', 'a', '--survivors'], /--only and --survivors cannot be combined/],
  ])('refuses %j naming the option', (argv, message) => {
    expect(() => parseMutantsArgs(argv, catalogue)).toThrow(MutantsUsageError);
    expect(() => parseMutantsArgs(argv, catalogue)).toThrow(message);
  });

  it('exits 2 naming the option when run with a bad one', () => {
    const r = spawnSync(process.execPath, [join(projectRoot, 'benchmarks/mutants/run.ts'), '--lane', 'nowhere'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mutants: --lane must be one of/);
  });

  it('selects by --only, --lane and the previous run for --survivors', () => {
    expect(selectMutants(catalogue, { only: ['c', 'a'], lane: null, survivors: false }, null).map((m) => m.id)).toEqual(
      ['a', 'c'],
    );
    expect(
      selectMutants(catalogue, { only: null, lane: 'fresh-matrix', survivors: false }, null).map((m) => m.id),
    ).toEqual(['b', 'c']);
    const previous = {
      mutants: [
        { id: 'a', verdict: 'caught' },
        { id: 'b', verdict: 'survived' },
      ],
    } as unknown as ProofPower;
    // caught ones are left out; survived, invalid and never measured ones are run again
    expect(selectMutants(catalogue, { only: null, lane: null, survivors: true }, previous).map((m) => m.id)).toEqual([
      'b',
      'c',
    ]);
  });
});

describe('classifying a lane result', () => {
  const ran = { exitCode: 1, timedOut: false };

  it('a property violation is caught, with its step and property', () => {
    const c = classifyRun(
      laneResult({
        failure: {
          kind: 'property',
          stepPath: ['fresh-matrix', 'creditservice: quota'],
          property: 'the over-quota rejection is 429',
          message: 'fresh-matrix › creditservice: quota: property "the over-quota rejection is 429" does not hold',
        },
      }),
      ran,
    );
    expect(c.verdict).toBe('caught');
    expect(c.step).toBe('fresh-matrix › creditservice: quota');
    expect(c.detail).toMatch(/^the over-quota rejection is 429: /);
  });

  it('a passed lane is survived', () => {
    expect(classifyRun(laneResult({ status: 'passed', success: true }), { exitCode: 0, timedOut: false }).verdict).toBe(
      'survived',
    );
  });

  it('a lane that passed on its rerun (flaky) is survived: the mutant did not break a property', () => {
    const flaky = classifyRun(laneResult({ status: 'flaky', success: true }), { exitCode: 0, timedOut: false });
    expect(flaky.verdict).toBe('survived');
  });

  it('a harness failure, a block, an interruption, a timeout, no result or a malformed one are invalid', () => {
    const harness = classifyRun(
      laneResult({ failure: { kind: 'harness', stepPath: ['fresh-matrix'], message: 'ssh to node04 timed out' } }),
      ran,
    );
    expect(harness).toMatchObject({ verdict: 'invalid' });
    expect(harness.detail).toMatch(/harness failure: ssh to node04 timed out/);
    const blocked = classifyRun(laneResult({ status: 'blocked', missingRequirements: ['kvm'] }), ran);
    expect(blocked).toMatchObject({ verdict: 'invalid', detail: 'the lane was blocked: missing kvm' });
    expect(classifyRun(laneResult({ status: 'interrupted', finishedAt: null, durationMs: null }), ran).verdict).toBe(
      'invalid',
    );
    expect(
      classifyRun(laneResult({ status: 'passed', success: true }), { exitCode: null, timedOut: true }),
    ).toMatchObject({ verdict: 'invalid', detail: 'the lane run hit the campaign timeout' });
    expect(classifyRun(null, ran).detail).toMatch(/no result\.json \(vitest exit 1/);
    expect(classifyRun({ status: 'passed' }, ran).detail).toMatch(/does not match the result schema/);
  });

  it('reads the newest run of a lane under a work root', () => {
    const root = tempDir();
    for (const [run, status] of [
      ['20261203T110000Z-aaaa', 'failed'],
      ['20261203T120000Z-bbbb', 'passed'],
    ] as const) {
      mkdirSync(join(root, 'fresh-matrix', run), { recursive: true });
      writeFileSync(join(root, 'fresh-matrix', run, 'result.json'), JSON.stringify(laneResult({ runId: run, status })));
    }
    expect((latestLaneResult(root, 'fresh-matrix') as { status: string }).status).toBe('passed');
    expect(latestLaneResult(root, 'fresh-smoke')).toBeNull();
  });
});

describe('applying a mutant to a scratch copy', () => {
  const repo = () => {
    const dir = tempDir();
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
    git('init', '-q');
    mkdirSync(join(dir, 'lab'), { recursive: true });
    mkdirSync(join(dir, 'node_modules', 'pkg'), { recursive: true });
    mkdirSync(join(dir, 'work'), { recursive: true });
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n/work/\n');
    writeFileSync(join(dir, 'lab', 'svc.ts'), 'if (used + units > limit) refuse();\nconst a = 1;\nconst a2 = 1;\n');
    writeFileSync(join(dir, 'lab', 'untracked.ts'), 'export {};\n');
    writeFileSync(join(dir, 'node_modules', 'pkg', 'index.js'), '');
    writeFileSync(join(dir, 'work', 'state.json'), '{}');
    git('add', '.gitignore', 'lab/svc.ts');
    return dir;
  };

  it('copies tracked and untracked files, links node_modules, leaves work/ out and patches only the copy', () => {
    const src = repo();
    const dest = join(tempDir(), 'scratch');
    scratchCopy(src, dest);
    expect(readFileSync(join(dest, 'lab', 'untracked.ts'), 'utf8')).toBe('export {};\n');
    expect(lstatSync(join(dest, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(dest, 'work'))).toBe(false);
    // a repository of its own, every copied file in its index (nix reads a flake in a git tree through the index)
    const tracked = execFileSync('git', ['ls-files'], { cwd: dest, encoding: 'utf8' }).trim().split('\n').sort();
    expect(tracked).toEqual(['.gitignore', 'lab/svc.ts', 'lab/untracked.ts']);
    applyMutant(dest, {
      id: 'm',
      file: 'lab/svc.ts',
      search: 'used + units > limit',
      replace: 'used + units >= limit',
    });
    expect(readFileSync(join(dest, 'lab', 'svc.ts'), 'utf8')).toMatch(/^if \(used \+ units >= limit\)/);
    expect(readFileSync(join(src, 'lab', 'svc.ts'), 'utf8')).toMatch(/^if \(used \+ units > limit\)/);
  });

  it('refuses a search text that occurs more than once or not at all, leaving the file as it was', () => {
    const dest = join(tempDir(), 'scratch');
    scratchCopy(repo(), dest);
    const before = readFileSync(join(dest, 'lab', 'svc.ts'), 'utf8');
    expect(() => applyMutant(dest, { id: 'twice', file: 'lab/svc.ts', search: '= 1;', replace: '= 2;' })).toThrow(
      'mutant twice: the search text occurs 2 times in lab/svc.ts, not once',
    );
    expect(() => applyMutant(dest, { id: 'none', file: 'lab/svc.ts', search: 'absent', replace: 'x' })).toThrow(
      /occurs 0 times/,
    );
    expect(() => applyMutant(dest, { id: 'gone', file: 'lab/nope.ts', search: 'a', replace: 'b' })).toThrow(
      /lab\/nope\.ts does not exist/,
    );
    expect(readFileSync(join(dest, 'lab', 'svc.ts'), 'utf8')).toBe(before);
  });

  it('replaces the text literally, even with $ patterns in the replacement', () => {
    const dest = join(tempDir(), 'scratch');
    scratchCopy(repo(), dest);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source text, not a template
    applyMutant(dest, { id: 'dollar', file: 'lab/svc.ts', search: 'refuse()', replace: "refuse(`$&${'x'}`)" });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source text, not a template
    expect(readFileSync(join(dest, 'lab', 'svc.ts'), 'utf8')).toContain("refuse(`$&${'x'}`)");
  });
});

describe('the proof-power results', () => {
  const row = (id: string, verdict: MutantRow['verdict']): MutantRow => ({
    id,
    file: 'lab/x.ts',
    lane: 'fresh-matrix',
    breaks: `${id} does not happen`,
    verdict,
    step: verdict === 'caught' ? 'fresh-matrix › step' : null,
    detail: verdict === 'caught' ? 'prop: message' : 'the lane passed',
    durationMs: 1000,
    measuredAt: '2026-12-03T12:00:00.000Z',
  });
  const run = (rows: MutantRow[]) => ({
    updatedAt: '2026-12-03T12:30:00.000Z',
    machine: 'test machine',
    accelerator: 'tcg',
    baselines: [],
    mutants: rows,
    campaignWallMs: 60_000,
  });

  it('a partial run rewrites only its rows, keeps catalogue order and sums the wall time', () => {
    const first = mergeResults(null, run([row('a', 'caught'), row('b', 'survived'), row('c', 'invalid')]), catalogue);
    const second = mergeResults(first, run([row('b', 'caught')]), catalogue);
    expect(second.mutants.map((r) => `${r.id}:${r.verdict}`)).toEqual(['a:caught', 'b:caught', 'c:invalid']);
    expect(second.campaignWallMs).toBe(120_000);
  });

  it('counts the caught share of the measured mutants and lists every survivor with its reason', () => {
    const results = mergeResults(
      null,
      run([row('a', 'caught'), row('b', 'survived'), row('c', 'not-measured')]),
      catalogue,
    );
    expect(totals(results.mutants)).toMatchObject({ caught: 1, survived: 1, notMeasured: 1, caughtPercent: 50 });
    const md = renderReport(results, { b: 'the lane never tries b' });
    expect(md).toContain('| b | lab/x.ts | fresh-matrix | b does not happen | **survived** |');
    expect(md).toContain('- **b** (survived, fresh-matrix): the lane never tries b');
    expect(md).toContain('- **c** (not-measured, fresh-matrix)');
    expect(md).not.toContain('- **a**');
  });
});
