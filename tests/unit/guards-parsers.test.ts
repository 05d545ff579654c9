import { describe, expect, it } from 'vitest';
import { cargoWorkspaceMembers } from '../../guards/cargo-workspace-members.ts';
import { compileDirPrefixes, compileGlobs } from '../../guards/glob.ts';
import { rustTestModuleLines } from '../../guards/rust-test-modules.ts';
import {
  completenessMarkers,
  helperPattern,
  serverStubs,
  toExtendedRegex,
  toPrefilter,
  toRegExp,
  unfinishedWording,
} from '../../guards/surface-rules.ts';
import { archivedHelpers } from '../../profiles/guard-paths.ts';

describe('globs', () => {
  const server = compileGlobs(['*/crates/*-server/src/**/*.rs', 'docs/**/*.{md,txt}']);
  it.each([
    ['iam/crates/iam-server/src/lib.rs', true],
    ['iam/crates/iam-server/src/api/v1/keys.rs', true],
    ['iam/crates/iam-client/src/lib.rs', false],
    ['a/b/crates/iam-server/src/lib.rs', false],
    ['docs/testing.md', true],
    ['docs/ops/runbook.txt', true],
    ['docs/diagram.png', false],
  ])('%s matches: %s', (path, expected) => {
    expect(server.test(path)).toBe(expected);
  });

  it('prunes directories no glob can reach', () => {
    const descend = compileDirPrefixes(['docs/**/*.md', '*/crates/*-server/src/**', 'flake.nix']);
    expect(descend(['docs', 'deep', 'er'])).toBe(true);
    expect(descend(['iam', 'crates', 'iam-server'])).toBe(true);
    expect(descend(['iam', 'crates', 'iam-cli'])).toBe(false);
    expect(descend(['iam', 'vendor'])).toBe(false);
  });
});

describe('rust test modules', () => {
  it('spans the module, not fooled by braces in strings, chars, raw strings and comments', () => {
    const source = [
      'fn shipped() {}', // 1
      '#[cfg(test)]', // 2
      '#[allow(dead_code)]', // 3
      'mod tests {', // 4
      '    const A: &str = "}}";', // 5
      "    const B: char = '}';", // 6
      '    const C: &str = r#"}"#;', // 7
      '    // }', // 8
      "    fn f<'a>(x: &'a str) -> &'a str { x }", // 9
      '}', // 10
      'fn also_shipped() {}', // 11
    ].join('\n');
    expect(rustTestModuleLines(source)).toEqual([{ from: 2, to: 10 }]);
  });
});

describe('cargo workspace members', () => {
  it('reads members and default-members, not exclude or other tables', () => {
    const toml = [
      '[package]',
      'members = ["not-a-workspace"]',
      '[workspace]',
      'members = [',
      '  "iam/crates/iam-server", # the IAM server',
      "  'k8shost/crates/k8shost-csi',",
      ']',
      'exclude = ["k8shost/crates/k8shost-cni"]',
      'default-members = ["iam/crates/iam-server"]',
      '[workspace.dependencies]',
      'members = ["nope"]',
    ].join('\n');
    expect(cargoWorkspaceMembers(toml)).toEqual([
      { member: 'iam/crates/iam-server', line: 5 },
      { member: 'k8shost/crates/k8shost-csi', line: 6 },
      { member: 'iam/crates/iam-server', line: 9 },
    ]);
  });
});

describe('rule patterns', () => {
  it('read the same in JavaScript and as a grep ERE', () => {
    const js = toRegExp(unfinishedWording);
    expect(js.test('Coming Soon')).toBe(true);
    expect(js.test('status: TBD')).toBe(true);
    expect(js.test('TBDX')).toBe(false);
    expect(toExtendedRegex(unfinishedWording)).toContain('[cC][oO][mM][iI][nN][gG] [sS][oO][oO][nN]');
  });
});

describe('the anchor prefilter', () => {
  const helpers = archivedHelpers.map(helperPattern);
  const all = [...unfinishedWording, ...serverStubs, ...completenessMarkers, ...helpers];
  const prefilter = toPrefilter(all);
  it.each([
    'Coming soon: bare-metal',
    'NOT YET IMPLEMENTED',
    'a work in progress',
    'Under Construction',
    'owner: TBD',
    'WIP',
    'Err(Status::unimplemented("x"))',
    'Status::new(Code::Unimplemented, "x")',
    'StatusCode::NOT_IMPLEMENTED',
    'unimplemented!()',
    'todo!("later")',
    'reply("method not implemented")',
    "reply('not yet implemented')",
    '// TODO: later',
    '// FIXME',
    'Best-Effort cleanup',
    'nixosConfigurations.netboot-worker',
    '"k8shost/crates/k8shost-controllers"',
  ])('lets every text a rule matches through: %s', (text) => {
    expect(toRegExp(all).test(text)).toBe(true);
    expect(prefilter.test(text)).toBe(true);
  });

  it('rejects ordinary code', () => {
    expect(prefilter.test('pub async fn handle(store: &Store) -> Result<Vec<u8>, Error> { Ok(vec![]) }')).toBe(false);
  });
});
