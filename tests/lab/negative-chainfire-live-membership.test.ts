import { describe, expect, it } from 'vitest';
import { chainfireLiveMembership } from '../../lanes/publishable/chainfire-live-membership.ts';
import { runLaneWithFaults } from './support/negative-lane.ts';

describe('chainfire-live-membership-proof catches a broken ChainFire', () => {
  it('fails at the catch-up step when the learner never catches up', { timeout: 240_000 }, async () => {
    const result = await runLaneWithFaults(chainfireLiveMembership, {
      faults: ['chainfire:learner-never-catches-up@node04'],
      services: ['chainfire'],
    });
    expect(result.status, JSON.stringify(result.failure)).toBe('failed');
    expect(result.failure?.kind, result.failure?.message).toBe('property');
    expect(result.failure?.stepPath, result.failure?.message).toEqual([
      'chainfire-live-membership-proof',
      'the learner catches up from its local replica',
    ]);
    expect(result.failure?.property, result.failure?.message).toMatch(
      /^node04 serves "v2-learner" from its local replica/,
    );
  });

  it('fails at the leader transfer when the transfer is a no-op', { timeout: 240_000 }, async () => {
    const result = await runLaneWithFaults(chainfireLiveMembership, {
      faults: ['chainfire:leader-transfer-noop'],
      services: ['chainfire'],
    });
    expect(result.status, JSON.stringify(result.failure)).toBe('failed');
    expect(result.failure?.stepPath.at(-1), result.failure?.message).toBe('transfer leadership live to another voter');
    expect(result.failure?.property, result.failure?.message).toMatch(/^leadership moved from node0\d to node0\d$/);
    // seen at once: the transfer answered done while the named member stayed in the term before it
    expect(result.failure?.message, result.failure?.message).toMatch(
      /settled as not reached after \d+ ms \(\d+ attempts\): the transfer answered .*"transferred":true.*, yet node0\d is still at term \d+, the term before the transfer, and follows node0\d: no election was held/,
    );
  });

  it('fails at the first history when linearizable reads are served from a lagging snapshot', {
    timeout: 240_000,
  }, async () => {
    const result = await runLaneWithFaults(chainfireLiveMembership, {
      faults: ['chainfire:stale-linearizable-read@node02'],
      services: ['chainfire'],
    });
    expect(result.status, JSON.stringify(result.failure)).toBe('failed');
    expect(result.failure?.kind, result.failure?.message).toBe('property');
    expect(result.failure?.stepPath.at(-1), result.failure?.message).toBe('add a temporary learner on node04');
    expect(result.failure?.property, result.failure?.message).toMatch(
      /^the history of \d+ concurrent operations during the learner add of node04 is linearizable$/,
    );
    expect(result.failure?.message, result.failure?.message).toMatch(/none of these can come next: .*get → /);
  });
});
