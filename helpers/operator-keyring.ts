import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The operator's keyring: the credentials a suite obtained from a target it bootstrapped (the IAM admin secret of
 * each node's IAM), so later lanes, each in its own module scope, reuse the one bootstrap. One file per target
 * per work root, `<work root>/.operator/keyring-<key>.json`, mode 0600 in a 0700 folder, replaced atomically. The
 * key is where the target answers (its nodes' names and addresses), not its name: two descriptors naming the same
 * running cluster share its one bootstrap. A keyring outlives a run only while its target does: the lab removes
 * its own at teardown, and those of labs that are gone at the next lab start and at `ucproof cluster clean`.
 */
export const KeyringCredential = z.object({ principal: z.string().min(1), secret: z.string().min(1) });
export type KeyringCredential = z.infer<typeof KeyringCredential>;

export const Keyring = z.object({
  schema: z.literal('ultracloud-proof/operator-keyring@1'),
  /** the descriptor name of the target, for the reader */
  target: z.string(),
  /** the target's nodes as `name=address`, sorted: what the file name hashes */
  nodes: z.array(z.string()),
  /** each node's IAM admin credential */
  iam: z.record(z.string(), KeyringCredential),
});
export type Keyring = z.infer<typeof Keyring>;

export function keyringDir(root: string): string {
  return join(root, '.operator');
}

export function keyringNodes(nodes: ReadonlyArray<{ name: string; address: string }>): string[] {
  return nodes.map((n) => `${n.name}=${n.address}`).sort();
}

/** The addresses a keyring's target answers at. */
export function keyringAddresses(keyring: Pick<Keyring, 'nodes'>): string[] {
  return keyring.nodes.map((n) => n.slice(n.indexOf('=') + 1));
}

export function keyringPath(root: string, nodes: ReadonlyArray<{ name: string; address: string }>): string {
  const key = createHash('sha256').update(keyringNodes(nodes).join(',')).digest('hex').slice(0, 16);
  return join(keyringDir(root), `keyring-${key}.json`);
}

/** The keyring at `path`, or undefined when there is none (or it is not one: it is then replaced). */
export function readKeyring(path: string): Keyring | undefined {
  try {
    const parsed = Keyring.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Replace the keyring atomically; the file is 0600 from its first byte, its folder 0700. */
export function writeKeyring(path: string, keyring: Keyring): void {
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(Keyring.parse(keyring), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Every keyring file under the work root, with its content (undefined for one that does not parse). */
export function listKeyrings(root: string): Array<{ path: string; keyring: Keyring | undefined }> {
  let names: string[];
  try {
    names = readdirSync(keyringDir(root));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^keyring-[0-9a-f]{16}\.json$/.test(n))
    .map((n) => {
      const path = join(keyringDir(root), n);
      return { path, keyring: readKeyring(path) };
    });
}

/**
 * Remove the keyrings whose target `gone` says no longer exists (an unreadable keyring counts as gone), and the
 * per-run folders (`.operator/<16 hex>/iam-<node>.json`) earlier versions left. Returns the paths removed.
 */
export function removeKeyrings(root: string, gone: (keyring: Keyring) => boolean): string[] {
  const removed: string[] = [];
  for (const { path, keyring } of listKeyrings(root)) {
    if (keyring && !gone(keyring)) continue;
    rmSync(path, { force: true });
    removed.push(path);
  }
  let names: string[] = [];
  try {
    names = readdirSync(keyringDir(root));
  } catch {
    // no keyring folder
  }
  for (const n of names) {
    if (!/^[0-9a-f]{16}$/.test(n)) continue;
    rmSync(join(keyringDir(root), n), { recursive: true, force: true });
    removed.push(join(keyringDir(root), n));
  }
  return removed;
}
