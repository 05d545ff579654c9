import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A generated monorepo of `files` files for the supported-surface benchmark: per component a server crate
 * (most files), a client crate, server tests and docs; top-level docs and VM-cluster harness; an unguarded
 * frontend and a work root of logs. Ten violations are planted at known places.
 */
export interface GeneratedTree {
  readonly root: string;
  readonly files: number;
  readonly bytes: number;
  readonly planted: number;
}

const components = ['chainfire', 'flaredb', 'iam', 'plasmavmc', 'prismnet', 'flashdns', 'fiberlb', 'lightningstor'];
const more = ['coronafs', 'apigateway', 'nightlight', 'creditservice', 'k8shost', 'deployer', 'nix-agent'];
const allComponents = [...components, ...more, 'fleet-scheduler', 'node-agent', 'sdk', 'cli', 'common'];

const rust = (i: number) =>
  `use crate::state::Store;\n\n/// Handles request kind ${i}.\npub async fn handle_${i}(store: &Store, key: &str) -> Result<Vec<u8>, Error> {\n    let value = store.get(key).await?;\n    if value.is_empty() {\n        return Err(Error::NotFound(key.to_string()));\n    }\n    Ok(value)\n}\n`.repeat(
    6,
  );
const markdown = (i: number) =>
  `# Section ${i}\n\nThe supported surface is described here with its operational contract.\n\n- item one\n- item two\n`.repeat(
    8,
  );

export function generateTree(files = 50_000): GeneratedTree {
  const root = mkdtempSync(join(tmpdir(), 'ucp-surface-bench-'));
  let count = 0;
  let bytes = 0;
  const write = (rel: string, content: string) => {
    const path = join(root, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    count++;
    bytes += content.length;
  };
  const share = (fraction: number) => Math.floor(files * fraction);
  const perComponent = (fraction: number) => Math.floor(share(fraction) / allComponents.length);

  for (const c of allComponents) {
    for (let i = 0; i < perComponent(0.45); i++) write(`${c}/crates/${c}-server/src/m${i % 40}/h${i}.rs`, rust(i));
    for (let i = 0; i < perComponent(0.15); i++) write(`${c}/crates/${c}-client/src/c${i}.rs`, rust(i));
    for (let i = 0; i < perComponent(0.05); i++) write(`${c}/crates/${c}-server/tests/t${i}.rs`, rust(i));
    for (let i = 0; i < perComponent(0.02); i++) write(`${c}/docs/d${i}.md`, markdown(i));
  }
  for (let i = 0; i < share(0.03); i++) write(`docs/topic${i % 20}/p${i}.md`, markdown(i));
  for (let i = 0; i < share(0.02); i++)
    write(`nix/test-cluster/lib/s${i}.sh`, `#!/bin/sh\nset -eu\necho step ${i}\n`.repeat(10));
  write('flake.nix', '{\n  outputs = { self }: { };\n}\n');
  write(
    'Cargo.toml',
    `[workspace]\nmembers = [\n${allComponents.map((c) => `  "${c}/crates/${c}-server",`).join('\n')}\n]\n`,
  );

  const planted = [
    ['docs/topic1/p1.md', 'This lane is coming soon.\n'],
    ['nix/test-cluster/lib/s3.sh', 'echo WIP\n'],
    ['iam/crates/iam-server/src/m1/h1.rs', 'fn x() { todo!() }\n'],
    ['flaredb/crates/flaredb-server/src/m2/h2.rs', 'fn y() -> Status { Status::unimplemented("y") }\n'],
    ['fiberlb/crates/fiberlb-server/src/m3/h3.rs', '// TODO: drain\n'],
    ['prismnet/crates/prismnet-server/src/m4/h4.rs', '// FIXME acl order\n'],
    ['plasmavmc/crates/plasmavmc-server/src/m5/h5.rs', '/// best-effort migration\n'],
    ['k8shost/crates/k8shost-server/src/m6/h6.rs', 'fn z() { unimplemented!() }\n'],
    ['creditservice/docs/d1.md', 'Export: TBD\n'],
    ['flake.nix', '{ outputs = { self }: { nixosConfigurations.netboot-worker = { }; }; }\n'],
  ] as const;
  for (const [rel, text] of planted) writeFileSync(join(root, rel), text, { flag: rel === 'flake.nix' ? 'w' : 'a' });

  while (count < files - share(0.1)) write(`web/src/components/w${count % 50}/f${count}.tsx`, markdown(count));
  while (count < files) write(`work/fresh-smoke/run${count % 30}/log${count}.txt`, markdown(count));
  return { root, files: count, bytes, planted: planted.length };
}
