/** The seed's bare-metal marker sequence for one node, split at the reboot from the installer to the disk. */
export const installerMarkers = [
  'pre-install.boot',
  'pre-install.phone-home.complete',
  'install.bundle-downloaded',
  'install.disko.complete',
  'install.nixos-install.complete',
  'reboot',
] as const;
export const installedMarkers = ['post-install.boot', 'desired-system-active'] as const;

/** The property a marker of the sequence printed before one that precedes it breaks. */
export const markerOrderProperty =
  "each node's console shows the seed's bare-metal marker sequence in order, no marker before the one that precedes it";

/** Failure markers: `install.failed.<stage>.<node>` from the installer, `post-install.failed.<what>.<node>` after. */
export const failureMarkers = ['install.failed.*', 'post-install.failed.*'];

const stageProperties: Record<string, string> = {
  network: 'the installer reaches the deployer over the network',
  'phone-home': "the deployer accepts the installer's phone-home and answers the node's install plan",
  'bundle-download': 'the installer downloads the flake bundle from the deployer',
  disko: "Disko partitions, formats and mounts the install plan's target disk",
  'nixos-install': "nixos-install writes the configuration's system onto the disk",
};

/** The property a failure marker says is broken, e.g. install.failed.phone-home.bm-control01 → phone-home's. */
export function propertyOfFailure(marker: string): string {
  const [phase, , stage] = marker.split('.');
  if (phase === 'install') return stageProperties[stage ?? ''] ?? `the installer completes its "${stage}" stage`;
  return 'the installed system boots from its disk and nix-agent activates the desired system';
}
