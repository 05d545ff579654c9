import type { LaneResult } from '../profiles/result-schema.ts';

/** One lane's line in the suite's JUnit file. */
export interface JUnitCase {
  name: string;
  classname: string;
  timeSeconds: number;
  /**
   * passed, flaky (passed on a rerun), skipped (blocked), a broken property (<failure>), a broken harness or an
   * interrupted run (<error>)
   */
  outcome: 'passed' | 'flaky' | 'skipped' | 'property' | 'harness' | 'infrastructure' | 'timeout' | 'interrupted';
  message?: string;
  detail?: string;
  /**
   * each earlier attempt's failure: for a flaky case Surefire's <flakyFailure>/<flakyError>, for a failed one its
   * <rerunFailure>/<rerunError>
   */
  earlier?: Array<{ failureClass: 'property' | 'harness'; type: string; message: string }>;
}

export function escapeXml(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters; they are removed
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/**
 * JUnit XML for the suite. A broken property is a <failure type="property">; a broken harness, infrastructure,
 * a timeout or an interruption is an <error> of that type, so CI tells "the platform is wrong" from "the run is".
 * A lane that passed on its rerun is a passing case holding a <flakyError> per failed attempt (as Maven Surefire
 * writes reruns) and the property flaky. An interrupted run is marked on the <testsuite> too.
 */
export function formatJUnit(
  suiteName: string,
  given: JUnitCase[],
  interrupted: boolean,
  timestamp: Date,
  properties: ReadonlyArray<[string, string]> = [],
): string {
  const cases: JUnitCase[] =
    interrupted && given.length === 0
      ? [
          {
            name: 'run',
            classname: suiteName,
            timeSeconds: 0,
            outcome: 'interrupted',
            message: 'the run did not finish',
          },
        ]
      : given;
  const failures = cases.filter((c) => c.outcome === 'property').length;
  const skipped = cases.filter((c) => c.outcome === 'skipped').length;
  const errors = cases.filter((c) => !['passed', 'flaky', 'skipped', 'property'].includes(c.outcome)).length;
  const time = cases.reduce((t, c) => t + c.timeSeconds, 0).toFixed(3);
  const counts = `tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}"`;
  const lines = ['<?xml version="1.0" encoding="UTF-8" ?>', `<testsuites name="${escapeXml(suiteName)}" ${counts}>`];
  lines.push(
    `  <testsuite name="${escapeXml(suiteName)}" timestamp="${timestamp.toISOString()}" ${counts}>`,
    '    <properties>',
    `      <property name="status" value="${interrupted ? 'interrupted' : 'finished'}"/>`,
    ...properties.map(([k, v]) => `      <property name="${escapeXml(k)}" value="${escapeXml(v)}"/>`),
    '    </properties>',
  );
  for (const c of cases) {
    const head = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}" time="${c.timeSeconds.toFixed(3)}"`;
    if (c.outcome === 'passed') {
      lines.push(`${head}/>`);
      continue;
    }
    lines.push(`${head}>`);
    if (c.outcome === 'flaky') {
      lines.push('      <properties>', '        <property name="status" value="flaky"/>', '      </properties>');
      for (const e of c.earlier ?? []) {
        const tag = e.failureClass === 'property' ? 'flakyFailure' : 'flakyError';
        lines.push(`      <${tag} type="${escapeXml(e.type)}" message="${escapeXml(e.message)}"/>`);
      }
      lines.push('    </testcase>');
      continue;
    }
    const message = escapeXml(c.message ?? c.outcome);
    const body = escapeXml(c.detail ?? c.message ?? '');
    if (c.outcome === 'skipped') lines.push(`      <skipped message="${message}"/>`);
    else if (c.outcome === 'property')
      lines.push(`      <failure type="property" message="${message}">${body}</failure>`);
    else lines.push(`      <error type="${c.outcome}" message="${message}">${body}</error>`);
    if (c.outcome !== 'skipped')
      for (const e of c.earlier ?? []) {
        const tag = e.failureClass === 'property' ? 'rerunFailure' : 'rerunError';
        lines.push(`      <${tag} type="${escapeXml(e.type)}" message="${escapeXml(e.message)}"/>`);
      }
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

/**
 * One JUnit case per step of a lane (`lane › step › substep`), so CI dashboards show which step fails and how
 * often. A failed step is a <failure> when a property broke there, an <error> when the harness did.
 */
export function stepCases(lane: Pick<LaneResult, 'lane' | 'steps' | 'failure' | 'missingRequirements'>): JUnitCase[] {
  return lane.steps.map((step) => {
    const name = [lane.lane, ...step.path].join(' › ');
    const base = { name, classname: lane.lane, timeSeconds: (step.durationMs ?? 0) / 1000 };
    const failedCheck = step.checks.find((c) => !c.ok);
    const atThisStep = lane.failure && lane.failure.stepPath.join(' › ') === step.path.join(' › ');
    const message =
      (failedCheck &&
        `property "${failedCheck.property}" violated${failedCheck.detail ? `: ${failedCheck.detail}` : ''}`) ||
      (atThisStep ? lane.failure?.message : undefined);
    switch (step.status) {
      case 'passed':
        return { ...base, outcome: 'passed' };
      case 'blocked':
        return { ...base, outcome: 'skipped', message: `blocked: missing ${lane.missingRequirements.join(', ')}` };
      case 'failed':
        return step.failureClass === 'property' || failedCheck
          ? { ...base, outcome: 'property', message: message ?? 'a property was violated' }
          : { ...base, outcome: 'harness', message: message ?? 'the step failed outside a check' };
      default:
        return { ...base, outcome: 'interrupted', message: `the step was ${step.status} when the lane ended` };
    }
  });
}
