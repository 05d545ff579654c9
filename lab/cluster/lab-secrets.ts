import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { keyringAddresses, removeKeyrings } from '../../helpers/operator-keyring.ts';
import { type LabRecord, listLabs, processAlive, subnetOf } from './lab-registry.ts';

/**
 * Where a lab keeps its secrets: <lab dir>/secrets (0700) holds the lab's SSH client key pair and each node's
 * dropbear host key. Nothing secret of a lab lives anywhere else on disk, and the folder goes with the lab: its
 * controller removes it at teardown (whatever ULTRACLOUD_KEEP_LAB_STATE says), and the leftovers of a lab whose
 * controller died are removed with its record (lab/cluster/stale-labs.ts).
 */
export function labSecretsDir(labDir: string): string {
  return join(labDir, 'secrets');
}

export function createLabSecretsDir(labDir: string): string {
  const dir = labSecretsDir(labDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

export const labClientKeyPath = (labDir: string) => join(labSecretsDir(labDir), 'id_ed25519');
export const labHostKeyPath = (labDir: string, node: string) =>
  join(labSecretsDir(labDir), `${node}_ssh_host_ed25519_key`);

/** Remove the lab's secrets folder and the operator keyrings under `workRoot` of a target at an address it `owns`. */
export function removeLabSecrets(labDir: string, workRoot: string, owns: (address: string) => boolean): void {
  rmSync(labSecretsDir(labDir), { recursive: true, force: true });
  removeKeyrings(workRoot, (k) => keyringAddresses(k).some(owns));
}

/** The /24 prefix (a.b.c) of an IPv4 address. */
const prefixOf = (address: string) => address.split('.').slice(0, 3).join('.');

/**
 * Remove the operator keyrings under `workRoot` of labs that no longer exist: those whose every address lies in a
 * lab subnet (10.200-249.x) that no live lab holds. A keyring of any other target is left alone.
 */
export function removeOrphanKeyrings(workRoot: string, labs: LabRecord[] = listLabs()): string[] {
  const live = new Set(labs.filter((l) => processAlive(l.pid)).map((l) => subnetOf(l.slot).prefix));
  const inLabRange = (a: string) => /^10\.(2[0-4]\d)\.\d{1,3}\.\d{1,3}$/.test(a);
  return removeKeyrings(workRoot, (k) => {
    const addresses = keyringAddresses(k);
    return addresses.length > 0 && addresses.every(inLabRange) && !addresses.some((a) => live.has(prefixOf(a)));
  });
}
