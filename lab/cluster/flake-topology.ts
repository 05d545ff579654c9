import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { HarnessError } from '../../contracts/errors.ts';
import { offlineNixFlags } from '../../helpers/nix-flags.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { NodeRole, parseOrExplain, ServiceName } from '../../profiles/descriptor-schema.ts';
import type { LabNodeSpec } from './lab-spec.ts';

const run = promisify(execFile);

export const referenceFlake = join(projectRoot, 'lab');
export const harnessNodes = ['node01', 'node02', 'node03', 'node04', 'node05', 'node06'];

/** The description a lab node's toplevel carries in node.json (lab/nix/lib.nix mkNode). */
const NodeDescription = z.object({
  schema: z.literal('ultracloud-lab/node@1'),
  hostname: z.string().min(1),
  role: NodeRole,
  services: z.array(ServiceName),
});

/**
 * Build `nixosConfigurations.<node>.config.system.build.toplevel` for every node (one `nix build`) and read each
 * node's node.json: the lab boots exactly what the flake's configurations say.
 */
export async function topologyFromFlake(flake = referenceFlake, nodes = harnessNodes): Promise<LabNodeSpec[]> {
  const attrs = nodes.map((n) => `${flake}#nixosConfigurations.${n}.config.system.build.toplevel`);
  let stdout: string;
  try {
    ({ stdout } = await run('nix', [...offlineNixFlags, 'build', '--no-link', '--json', ...attrs], {
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const detail = (e.stderr ?? e.message)
      .split('\n')
      .filter((l) => !l.startsWith('warning:'))
      .join('\n')
      .trim();
    throw new HarnessError(`nix build of the lab nodes' toplevels in ${flake} failed: ${detail}`, { cause: err });
  }
  const built = JSON.parse(stdout) as Array<{ outputs: { out: string } }>;
  return built.map((b, i) => {
    const file = join(b.outputs.out, 'node.json');
    const d = parseOrExplain(NodeDescription, JSON.parse(readFileSync(file, 'utf8')), `node description ${file}`);
    if (d.hostname !== nodes[i]) throw new HarnessError(`${file}: hostname "${d.hostname}" is not "${nodes[i]}"`);
    return { name: d.hostname, role: d.role, services: d.services };
  });
}
