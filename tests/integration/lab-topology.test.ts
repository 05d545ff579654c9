import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { topologyFromFlake } from '../../lab/cluster/flake-topology.ts';
import { harnessTopology } from '../../profiles/topology.ts';

describe('the lab boots what the reference flake configures', () => {
  it("node01..node06's toplevels describe the six-node harness topology", async () => {
    const nodes = await topologyFromFlake();
    expect(nodes).toEqual(harnessTopology.map(({ name, role, services }) => ({ name, role, services })));
  }, 120_000);

  it('a flake that cannot be built is a harness error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ucp-noflake-'));
    try {
      await expect(topologyFromFlake(dir, ['node01'])).rejects.toThrow(
        `nix build of the lab nodes' toplevels in ${dir} failed`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
