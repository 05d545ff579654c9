import type { Cluster } from '../contracts/target.ts';
import { HttpCallError } from '../helpers/http.ts';
import { keyringNodes, keyringPath, readKeyring, writeKeyring } from '../helpers/operator-keyring.ts';
import { workRoot } from '../helpers/proof-root.ts';
import { registerSecret } from '../helpers/redact.ts';

export interface IamAdmin {
  principal: string;
  secret: string;
}

/**
 * The operator's IAM admin credential for one IAM instance. Bootstrap works exactly once per instance, and every
 * lane of a suite (each in its own module scope) needs the same credential, so the first bootstrap's answer is kept
 * in the target's operator keyring under the work root (helpers/operator-keyring.ts: one 0600 file per target,
 * never in a proof root) and reused after that. A stored credential the IAM no longer accepts (401/403: a fresh
 * instance at the same address) is replaced by a new bootstrap.
 */
export async function iamAdmin(cluster: Cluster, node: string, root = workRoot()): Promise<IamAdmin> {
  const path = keyringPath(root, cluster.descriptor.nodes);
  const stored = readKeyring(path)?.iam[node];
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
        `IAM on ${node} was bootstrapped outside this suite and its admin credential is not in the keyring ${path}`,
      );
    }
    throw err;
  }
  registerSecret(admin.secret);
  // read again just before writing: another lane may have stored another node's credential meanwhile
  const current = readKeyring(path);
  writeKeyring(path, {
    schema: 'ultracloud-proof/operator-keyring@1',
    target: cluster.descriptor.name,
    nodes: keyringNodes(cluster.descriptor.nodes),
    iam: { ...(current?.iam ?? {}), [node]: { principal: admin.principal, secret: admin.secret } },
  });
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
