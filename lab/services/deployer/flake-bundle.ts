import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NodeClass } from './deployer-state.ts';

/**
 * The flake bundle of a node class, generated as a real tar.gz (by `tar`) into the state dir: a flake naming the
 * class's nixosConfiguration, its install plan, and the disko config at the plan's disko_config_path.
 */
export async function buildClassBundle(stateDir: string, cls: NodeClass): Promise<string> {
  const stage = join(stateDir, 'bundles', `${cls.name}.stage`);
  const out = join(stateDir, 'bundles', `${cls.name}.tar.gz`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const plan = cls.install_plan;
  const files: Record<string, string> = {
    'flake.nix': [
      '{',
      `  # flake bundle for node class ${cls.name}`,
      '  outputs = { self }: {',
      `    nixosConfigurations.${JSON.stringify(plan.nixos_configuration)} = {`,
      `      targetSystem = ${JSON.stringify(cls.desired_system?.target_system ?? null)};`,
      '    };',
      '  };',
      '}',
      '',
    ].join('\n'),
    'install-plan.json': `${JSON.stringify({ node_class: cls.name, ...plan, desired_system: cls.desired_system }, null, 2)}\n`,
    [plan.disko_config_path]: 'DISKO_TABLE=msdos\nDISKO_FSTYPE=ext2\nDISKO_LABEL=nixos\n',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    writeFileSync(join(stage, path), content);
  }
  // execa is loaded on first use: most service processes never run a command, and it is a large import
  const { execa } = await import('execa');
  await execa('tar', ['-C', stage, '--sort=name', '--owner=0', '--group=0', '-czf', `${out}.tmp`, '.']);
  renameSync(`${out}.tmp`, out);
  rmSync(stage, { recursive: true, force: true });
  return out;
}
