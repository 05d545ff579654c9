/**
 * Offline, local nix: no substituters, no sandbox, no build users; the impure-derivations feature the reference
 * flake's lane checks need to be evaluated (lab/nix/README.md).
 */
export const offlineNixFlags = [
  '--extra-experimental-features',
  'nix-command flakes impure-derivations ca-derivations',
  '--option',
  'substituters',
  '',
  '--option',
  'sandbox',
  'false',
  '--option',
  'build-users-group',
  '',
];
