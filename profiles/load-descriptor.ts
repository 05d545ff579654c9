import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidInputError, parseOrExplain, TargetDescriptor } from './descriptor-schema.ts';
import { type ReferenceLabOptions, referenceLabDescriptor } from './descriptors/reference-lab.ts';
import { ultracloudMonorepoDescriptor } from './descriptors/ultracloud-monorepo.ts';
import { workRoot } from './paths.ts';

/**
 * Which target a run speaks to, chosen from the environment:
 *   ULTRACLOUD_TARGET_DESCRIPTOR=FILE  a JSON target descriptor (any target, described by hand)
 *   ULTRACLOUD_FLAKE=PATH              the real UltraCloud monorepo checkout at PATH
 *     ULTRACLOUD_BINDINGS=MODULE       with service bindings from MODULE (see README: bindings modules)
 *   neither                            the reference lab (its descriptor exists once the lab has booted)
 */
export type TargetSelection =
  | { readonly kind: 'reference-lab' }
  | { readonly kind: 'descriptor'; readonly descriptor: TargetDescriptor; readonly source: string };

export function selectTarget(env: NodeJS.ProcessEnv = process.env): TargetSelection {
  const file = env.ULTRACLOUD_TARGET_DESCRIPTOR?.trim();
  if (file) {
    let descriptor: TargetDescriptor;
    try {
      descriptor = loadDescriptorFile(file);
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      throw new InvalidInputError(`ULTRACLOUD_TARGET_DESCRIPTOR: ${err.message}`, [
        'ULTRACLOUD_TARGET_DESCRIPTOR',
        ...err.fields.filter((f) => f !== 'ULTRACLOUD_TARGET_DESCRIPTOR'),
      ]);
    }
    return { kind: 'descriptor', descriptor, source: `ULTRACLOUD_TARGET_DESCRIPTOR=${file}` };
  }
  const flake = env.ULTRACLOUD_FLAKE?.trim();
  if (flake) {
    const bindings = checkedBindings(env.ULTRACLOUD_BINDINGS);
    const descriptor = {
      ...ultracloudMonorepoDescriptor({ flake: checkedFlake(flake), workRoot: workRoot(env) }),
      ...(bindings ? { bindings } : {}),
    };
    return { kind: 'descriptor', descriptor, source: `ULTRACLOUD_FLAKE=${flake}` };
  }
  return { kind: 'reference-lab' };
}

/**
 * The target descriptor the environment selects. The reference lab (the default) needs its boot-time facts (node
 * addresses, lab root); without them this throws, naming the variables that select another target.
 */
export function loadTargetDescriptor(
  env: NodeJS.ProcessEnv = process.env,
  lab?: ReferenceLabOptions,
): TargetDescriptor {
  const selection = selectTarget(env);
  if (selection.kind === 'descriptor') return selection.descriptor;
  if (!lab) {
    throw new InvalidInputError(
      'the reference lab is the selected target (neither ULTRACLOUD_FLAKE nor ULTRACLOUD_TARGET_DESCRIPTOR is set), ' +
        'and its descriptor needs the booted lab: its node addresses and lab root',
      ['ULTRACLOUD_FLAKE', 'ULTRACLOUD_TARGET_DESCRIPTOR'],
    );
  }
  return referenceLabDescriptor(lab);
}

/** ULTRACLOUD_FLAKE must name an existing directory with a flake.nix. */
function checkedFlake(raw: string): string {
  const path = resolve(raw);
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new InvalidInputError(`ULTRACLOUD_FLAKE="${raw}": no such directory (${path})`, ['ULTRACLOUD_FLAKE']);
  }
  if (!existsSync(join(path, 'flake.nix'))) {
    throw new InvalidInputError(`ULTRACLOUD_FLAKE="${raw}": ${path} holds no flake.nix`, ['ULTRACLOUD_FLAKE']);
  }
  return path;
}

/** Read and validate a JSON target descriptor; errors name the file and the offending field (`nodes[2].ssh.port`). */
export function loadDescriptorFile(path: string): TargetDescriptor {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const why = code === 'EISDIR' ? 'EISDIR: a directory, not a file' : code;
    throw new InvalidInputError(`target descriptor ${file} cannot be read (${why})`, ['ULTRACLOUD_TARGET_DESCRIPTOR']);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(
      `target descriptor ${file} is not JSON: ${(err as Error).message.replace(/\s*\n\s*/g, ' ')}`,
      ['(root)'],
    );
  }
  const d = parseOrExplain(TargetDescriptor, json, `target descriptor ${file}`);
  // module paths are the descriptor's own: relative to the file, so a checkout can carry both side by side
  const near = (p: string | undefined) => (p === undefined ? undefined : resolve(dirname(file), p));
  return {
    ...d,
    ...(d.bindings ? { bindings: near(d.bindings) } : {}),
    ...(d.driver ? { driver: near(d.driver) } : {}),
    ...(d.vm ? { vm: { ...d.vm, ...(d.vm.sshKey ? { sshKey: near(d.vm.sshKey) } : {}) } } : {}),
  };
}

/** ULTRACLOUD_BINDINGS names a bindings module for the ULTRACLOUD_FLAKE target; it must exist. */
function checkedBindings(raw: string | undefined): string | undefined {
  if (!raw?.trim()) return undefined;
  const path = resolve(raw.trim());
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new InvalidInputError(`ULTRACLOUD_BINDINGS="${raw}": no such file (${path})`, ['ULTRACLOUD_BINDINGS']);
  }
  return path;
}
