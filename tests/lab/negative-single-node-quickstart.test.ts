import { rm } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runLane } from '../../harness/run-lane.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { labQuickstartTarget } from '../../lab/target/quickstart/lab-quickstart-target.ts';
import { quickstartLane } from '../../lanes/quickstart/single-node-quickstart.ts';
import type { LaneResult } from '../../profiles/result-schema.ts';

// The quickstart lane against the lab's quickstart VM broken in one named way each: the lane fails at the step and
// property the break falsifies, and leaves no VM behind. Short waits: a healthy guest answers well within them.
const lane = quickstartLane('single-node-quickstart', { markerTimeoutMs: 45_000, healthTimeoutMs: 240_000 });
const roots: string[] = [];
afterEach(() => {
  delete process.env.ULTRACLOUD_LAB_QUICKSTART_FAULTS;
});
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

// A guest whose service is merely not there yet, with a shorter bound: the lane waits it out and says so as a timeout.
const shortBoundLane = quickstartLane('single-node-quickstart', { markerTimeoutMs: 45_000, healthTimeoutMs: 60_000 });

async function runFaulted(faults: string, which = lane): Promise<LaneResult> {
  const root = await workTempDir('quickstart-faults-');
  roots.push(root);
  process.env.ULTRACLOUD_LAB_QUICKSTART_FAULTS = faults;
  return runLane(which, { target: labQuickstartTarget(), targetName: 'reference-lab', workRoot: root, log: () => {} });
}

function expectViolation(result: LaneResult, step: RegExp, property: string | RegExp): void {
  const why = JSON.stringify(result.failure);
  expect(result.status, why).toBe('failed');
  expect(result.failure?.kind, why).toBe('property');
  expect(result.failure?.stepPath.at(-1), why).toMatch(step);
  if (typeof property === 'string') expect(result.failure?.property, why).toBe(property);
  else expect(result.failure?.property, why).toMatch(property);
  const stop = result.steps.find((s) => s.path.at(-1)?.startsWith('undo: stop the quickstart VM'));
  expect(stop?.status, 'the VM is stopped after the failure').toBe('passed');
}

describe('single-node-quickstart catches a broken quickstart VM', { timeout: 15 * 60_000 }, () => {
  it('fails at the boot marker when the guest never prints it', async () => {
    const result = await runFaulted('no-boot-marker');
    expectViolation(
      result,
      /^the console shows node\.boot\.single-node-quickstart within 45 s$/,
      'the console shows "node.boot.single-node-quickstart"',
    );
    expect(result.failure?.message).toContain('with no "node.boot.single-node-quickstart" before it');
  });

  it('fails at in-guest health when the guest does not run plasmavmc', async () => {
    const result = await runFaulted('omit:plasmavmc');
    expectViolation(
      result,
      /^inside the guest, .* answer healthy within 240 s$/,
      "plasmavmc answers healthy on the guest's loopback",
    );
  });

  it("fails at in-guest health when prismnet answers only on the guest's NIC", async () => {
    const result = await runFaulted('nic-only:prismnet');
    expectViolation(
      result,
      /^inside the guest, .* answer healthy within 240 s$/,
      "prismnet answers healthy on the guest's loopback",
    );
  });

  it('times out at in-guest health, not a broken property, when plasmavmc is started but never ready', async () => {
    const result = await runFaulted('stall:plasmavmc', shortBoundLane);
    const why = JSON.stringify(result.failure);
    expect(result.status, why).toBe('failed');
    expect(result.failure?.kind, why).toBe('timeout');
    expect(result.failure?.property, why).toBeUndefined();
    expect(result.failure?.stepPath.at(-1), why).toMatch(/^inside the guest, .* answer healthy within 60 s$/);
    expect(result.failure?.message, why).toMatch(
      /answers healthy on the guest's loopback" not seen within 60 s, and the guest gave no sign it will not be/,
    );
    const stop = result.steps.find((s) => s.path.at(-1)?.startsWith('undo: stop the quickstart VM'));
    expect(stop?.status, 'the VM is stopped after the failure').toBe('passed');
  });

  it('fails at the manifest when the shipped manifest names the rollout stack', async () => {
    const result = await runFaulted('manifest-extra:fleet-scheduler');
    expectViolation(result, /^the shipped product-surface manifest/, 'the manifest does not name fleet-scheduler');
  });
});
