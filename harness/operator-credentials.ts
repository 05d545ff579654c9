import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../contracts/target.ts';
import { HttpCallError } from '../helpers/http.ts';
import { workRoot } from '../helpers/proof-root.ts';
import { registerSecret } from '../helpers/redact.ts';

export interface IamAdmin {
  principal: string;
  secret: string;
}

/**
 * The operator's IAM admin credential for one IAM instance. Bootstrap works exactly once per instance, and every
 * lane of a suite (each in its own module scope) needs the same credential, so the first bootstrap's answer is kept
 * in the operator's keyring under the work root (mode 0600, never in a proof root) and reused after that.
 */
export async function iamAdmin(cluster: Cluster, node: string): Promise<IamAdmin> {
  const dir = join(workRoot(), '.operator', clusterKey(cluster));
  const file = join(dir, `iam-${node}.json`);
  const stored = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as IamAdmin,
    () => undefined,
  );
  if (stored) {
    registerSecret(stored.secret);
    if (await stillValid(cluster, node, stored)) return stored;
    // an IAM that no longer knows the stored credential is a fresh instance at the same address: bootstrap it
  }
  let admin: IamAdmin;
  try {
    admin = await cluster.ports.iam.at(node).bootstrap('operator');
  } catch (err) {
    if (err instanceof HttpCallError && err.status === 409) {
      throw new Error(
        `IAM on ${node} was bootstrapped outside this suite and its admin credential is not in the keyring ${file}`,
      );
    }
    throw err;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(admin), { mode: 0o600 });
  return admin;
}

async function stillValid(cluster: Cluster, node: string, admin: IamAdmin): Promise<boolean> {
  try {
    await cluster.ports.iam.at(node).issueToken(admin.principal, admin.secret, 60);
    return true;
  } catch (err) {
    if (err instanceof HttpCallError && (err.status === 401 || err.status === 403)) return false;
    throw err;
  }
}

/**
 * The keyring is keyed by where the IAM instances answer (the nodes' addresses), not by the target's name: two
 * descriptors naming the same running cluster share its one bootstrap.
 */
function clusterKey(cluster: Cluster): string {
  const shape = cluster.descriptor.nodes.map((n) => `${n.name}=${n.address}`).join(',');
  return createHash('sha256').update(shape).digest('hex').slice(0, 16);
}
