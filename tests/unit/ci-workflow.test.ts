import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { projectRoot } from '../../helpers/proof-root.ts';

/** The part of GitHub Actions' workflow syntax this project uses, strict: an unknown or misspelt key fails. */
const Step = z
  .object({
    name: z.string().optional(),
    if: z.string().optional(),
    uses: z
      .string()
      .regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9-]+(\/[A-Za-z0-9-]+)?@v\d+$/, 'an action pinned to a major version')
      .optional(),
    with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    run: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .refine((s) => (s.uses === undefined) !== (s.run === undefined), 'a step has exactly one of uses and run');
const Job = z
  .object({
    'runs-on': z.string(),
    'timeout-minutes': z.number().int().positive().max(360),
    needs: z.union([z.string(), z.array(z.string())]).optional(),
    if: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    strategy: z
      .object({
        'fail-fast': z.boolean().optional(),
        matrix: z.record(z.string(), z.array(z.union([z.string(), z.number()]))),
      })
      .strict()
      .optional(),
    steps: z.array(Step).min(1),
  })
  .strict();
const Workflow = z
  .object({
    name: z.string(),
    on: z.record(z.string(), z.unknown()),
    defaults: z
      .object({ run: z.object({ shell: z.string() }).strict() })
      .strict()
      .optional(),
    env: z.record(z.string(), z.string()).optional(),
    jobs: z.record(z.string(), Job),
  })
  .strict();

const file = join(projectRoot, '.github', 'workflows', 'nix.yml');
const workflow = Workflow.parse(parse(readFileSync(file, 'utf8')));
const scripts = Object.keys(JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).scripts);
const ucproofHelp = (...args: string[]) =>
  execFileSync(join(projectRoot, 'bin', 'ucproof'), [...args, '--help'], { encoding: 'utf8' });
const commandNames = [...ucproofHelp().matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]);
const laneNames = readdirSync(join(projectRoot, 'lanes'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .flatMap((f) => [...readFileSync(join(projectRoot, 'lanes', f), 'utf8').matchAll(/\bname: '([a-z0-9-]+)'/g)])
  .map((m) => m[1]);
const runLines = Object.entries(workflow.jobs).flatMap(([job, j]) =>
  j.steps.flatMap((s) => (s.run ?? '').split('\n').map((line) => ({ job, line: line.trim() }))),
);

describe('.github/workflows/nix.yml', () => {
  it('has the seed’s CI pair, the sharded publishable suite and a merge job that needs it', () => {
    const all = runLines.map((r) => r.line).join('\n');
    expect(all).toContain('ucproof -- guard eval');
    expect(all).toContain('ucproof -- proof --lane portable-control-plane-regressions');
    expect(workflow.jobs.merge?.needs).toBe('publishable');
    for (const needs of Object.values(workflow.jobs).flatMap((j) => [j.needs ?? []].flat()))
      expect(Object.keys(workflow.jobs)).toContain(needs);
  });

  it('runs only npm scripts that package.json has, ucproof commands the CLI has and files that exist', () => {
    let checked = 0;
    for (const { job, line } of runLines) {
      for (const m of line.matchAll(/\bnpm run ([\w:-]+)(?: -- (\S+)(?: (\S+))?)?/g)) {
        checked += 1;
        expect(scripts, `${job}: ${line}`).toContain(m[1]);
        if (m[1] === 'ucproof') {
          expect(commandNames, `${job}: ${line}`).toContain(m[2]);
          if (m[2] === 'guard') expect(ucproofHelp('guard')).toMatch(new RegExp(`^ {2}${m[3]} `, 'm'));
        }
      }
      for (const m of line.matchAll(/--lane ([a-z0-9-]+)/g)) expect(laneNames, `${job}: ${line}`).toContain(m[1]);
      for (const m of line.matchAll(/(?:^|\s|=)(\.?\/?(?:scripts|reporters|tests)\/[\w./-]+)/g))
        expect(existsSync(join(projectRoot, m[1] as string)), `${job}: ${m[1]} exists`).toBe(true);
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it("runs the project's own tests: the unit project, and the integration project once it passed", () => {
    const projectOf = (job: string) =>
      runLines
        .filter((r) => r.job === job)
        .flatMap((r) => [...r.line.matchAll(/--project (\S+)/g)].map((m) => m[1] as string));
    expect(projectOf('unit')).toEqual(['unit']);
    expect(projectOf('integration')).toEqual(['integration']);
    expect(workflow.jobs.integration?.needs).toBe('unit');
    // each names a Vitest project of the config and a folder of tests
    const config = readFileSync(join(projectRoot, 'vitest.config.ts'), 'utf8');
    for (const project of ['unit', 'integration']) {
      expect(config).toContain(`name: '${project}'`);
      expect(readdirSync(join(projectRoot, 'tests', project)).some((f) => f.endsWith('.test.ts'))).toBe(true);
    }
  });

  it('shards the suite over its matrix, and the merge collects every shard', () => {
    const shards = workflow.jobs.publishable?.strategy?.matrix.shard ?? [];
    expect(shards).toEqual(shards.map((_, i) => i + 1));
    const shardFlags = runLines
      .map((r) => r.line.match(/--shard=\$\{\{ matrix\.shard \}\}\/(\d+)/)?.[1])
      .filter(Boolean);
    expect(shardFlags).toEqual([String(shards.length)]);
    const merge = runLines.find((r) => r.line.includes('merge-proofs'))?.line ?? '';
    for (const i of shards) expect(merge).toContain(`publishable-shard-${i}`);
    expect(runLines.some((r) => r.line.includes('--merge-reports=work/blobs'))).toBe(true);
  });
});
