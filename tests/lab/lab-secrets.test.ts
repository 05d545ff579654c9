import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iamAdmin } from '../../harness/operator-credentials.ts';
import { keyringDir, keyringPath } from '../../helpers/operator-keyring.ts';
import { workRoot, workTempDir } from '../../helpers/proof-root.ts';
import { sshExec } from '../../helpers/ssh.ts';
import { labHostKeyPath, labSecretsDir } from '../../lab/cluster/lab-secrets.ts';
import { startLab } from './support/lab.ts';

/** Every regular file under `dir` (symlinks are not followed). */
function* files(dir: string): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(dir, name);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) yield* files(path);
    else if (st?.isFile()) yield path;
  }
}

/** The files under `dir` (up to 64 MiB each) that hold any of `needles`, each with the needles' names it holds. */
function holders(dir: string, needles: Record<string, Buffer>): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const path of files(dir)) {
    if (statSync(path).size > 64 * 2 ** 20) continue;
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch {
      continue;
    }
    const names = Object.entries(needles)
      .filter(([, n]) => content.includes(n))
      .map(([name]) => name);
    if (names.length) found[path] = names;
  }
  return found;
}

/** The base64 body lines of a PEM or OpenSSH private key: its secret content, whatever wraps it. */
const keyBody = (pem: string) =>
  pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');

describe('a lab leaves no secret behind', () => {
  let root: string | undefined;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('after teardown no IAM secret, token or SSH private key of the run is on disk', { timeout: 300_000 }, async () => {
    root = await workTempDir('lab-secrets-');
    const needles: Record<string, Buffer> = {};
    let labDir: string;
    let keyring: string;
    {
      await using lab = await startLab({
        workRoot: root,
        nodes: [
          { name: 'node01', role: 'control-plane', services: ['iam'] },
          { name: 'node02', role: 'control-plane', services: ['iam'] },
        ],
        services: ['iam'],
        faults: [],
      });
      labDir = lab.state.labDir;
      const admin = await iamAdmin(lab.cluster, 'node01', root);
      const again = await iamAdmin(lab.cluster, 'node01', root);
      expect(again, 'a second lane reuses the stored bootstrap').toEqual(admin);
      await iamAdmin(lab.cluster, 'node02', root);
      const iam = lab.cluster.ports.iam.at('node01');
      const adminToken = (await iam.issueToken(admin.principal, admin.secret)).token;
      const principal = await iam.createPrincipal(adminToken, 'lab-secrets-tenant', ['tenant']);
      const token = (await iam.issueToken(principal.id, principal.secret)).token;
      const ssh = await sshExec(
        {
          host: lab.state.nodes[0]?.address as string,
          port: 22,
          user: 'root',
          privateKey: readFileSync(lab.state.sshKeyPath),
        },
        'hostname',
      );
      expect(ssh.stdout.trim()).toBe('node01');

      // while the lab lives: its keyring is one 0600 file in a 0700 folder, its SSH keys in its 0700 secrets folder
      keyring = keyringPath(root, lab.cluster.descriptor.nodes);
      expect(readdirSync(keyringDir(root)), 'one keyring file for the target').toEqual([keyring.split('/').at(-1)]);
      expect(statSync(keyring).mode & 0o777).toBe(0o600);
      expect(statSync(keyringDir(root)).mode & 0o777).toBe(0o700);
      expect(statSync(labSecretsDir(labDir)).mode & 0o777).toBe(0o700);
      expect(lab.state.sshKeyPath.startsWith(`${labSecretsDir(labDir)}/`)).toBe(true);

      const clientKey = readFileSync(lab.state.sshKeyPath, 'utf8');
      needles['IAM admin secret'] = Buffer.from(admin.secret);
      needles['tenant secret'] = Buffer.from(principal.secret);
      needles['admin token'] = Buffer.from(adminToken);
      needles['tenant token'] = Buffer.from(token);
      needles['SSH client private key'] = Buffer.from(keyBody(clientKey));
      needles['SSH client private key (a line)'] = Buffer.from(clientKey.split('\n')[2] ?? clientKey);
      for (const node of ['node01', 'node02']) {
        const hostKey = readFileSync(labHostKeyPath(labDir, node));
        // dropbear's own format: the private scalar is its last 64 bytes
        needles[`${node} host key`] = hostKey.subarray(hostKey.length - 64);
      }
      const keyringText = readFileSync(keyring, 'utf8');
      expect(keyringText).toContain(admin.secret);
    }

    expect(existsSync(labDir), 'the lab keeps its consoles and logs').toBe(true);
    expect(existsSync(labSecretsDir(labDir)), 'the lab secrets folder is removed at teardown').toBe(false);
    expect(existsSync(keyring), 'the keyring goes with the lab it belongs to').toBe(false);
    // the run's own work root, and the suite's whole work root around it: none of the run's secrets anywhere
    expect(holders(root, needles)).toEqual({});
    expect(holders(workRoot(), needles)).toEqual({});
    // no private key file of any kind: by name, PEM/OpenSSH armour, or dropbear's binary format
    const dropbearKey = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519')]);
    const privateKeyFiles = [...files(root)].filter((p) => {
      const content = readFileSync(p);
      return (
        /(^|\/)(id_[a-z0-9]+|[^/]*_key)$/.test(p) ||
        content.includes('PRIVATE KEY-----') ||
        content.subarray(0, dropbearKey.length).equals(dropbearKey)
      );
    });
    expect(privateKeyFiles).toEqual([]);
  });
});
