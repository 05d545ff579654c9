/** Offline, local nix: no substituters, no sandbox, no build users. */
export const offlineNixFlags = [
  '--extra-experimental-features',
  'nix-command flakes',
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
