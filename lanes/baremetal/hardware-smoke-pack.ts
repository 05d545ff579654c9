import { redact } from '../../helpers/redact.ts';
import { type HardwareSmokeInputs, inputVariables, type Transport } from './hardware-smoke-inputs.ts';

/** The seed's hardware marker sequence (the same ULTRACLOUD_MARKER lines verify-baremetal-iso.sh waits for). */
export const expectedMarkers = [
  'pre-install.boot.*',
  'pre-install.phone-home.complete.*',
  'install.disko.complete.*',
  'reboot.*',
  'post-install.boot.*',
  'desired-system-active.*',
] as const;

/** Any of these ends a wait at once: the installer or the installed system reported a failure. */
export const failureMarkers = ['install.failed.*', 'post-install.failed.*'] as const;

/** What the operator substitutes for the bootstrap token: the file never holds the token itself. */
export const tokenPlaceholder = `\${${inputVariables.bootstrapToken}}`;

/**
 * kernel-params.txt: one line for the installer's boot prompt. The bootstrap token is written as a shell
 * reference the operator expands (`eval echo "$(cat kernel-params.txt)"`); every other value goes through redaction.
 */
export function kernelParams(inputs: HardwareSmokeInputs): Buffer {
  const params = [
    `ultracloud.deployer_url=${inputs.deployerUrl ?? `\${${inputVariables.deployerUrl}}`}`,
    ...(inputs.allowUnauthenticated && !inputs.bootstrapToken ? [] : ['ultracloud.bootstrap_token=TOKEN']),
    ...(inputs.caCertUrl ? [`ultracloud.ca_cert_url=${inputs.caCertUrl}`] : []),
    ...(inputs.binaryCacheUrl ? [`ultracloud.binary_cache_url=${inputs.binaryCacheUrl}`] : []),
    ...(inputs.nodeId ? [`ultracloud.node_id=${inputs.nodeId}`] : []),
    ...(inputs.hostname ? [`ultracloud.hostname=${inputs.hostname}`] : []),
  ];
  const line = redact(params.join(' ')).replace(
    /ultracloud\.bootstrap_token=\S+/,
    `ultracloud.bootstrap_token=${tokenPlaceholder}`,
  );
  return Buffer.from(`${line}\n`);
}

/** The kernel parameters with the real token, for a machine the harness boots itself (never written anywhere). */
export function kernelParamsWithToken(inputs: HardwareSmokeInputs): string {
  return kernelParams(inputs)
    .toString('utf8')
    .trim()
    .replace(tokenPlaceholder, inputs.bootstrapToken ?? '');
}

export function statusEnv(facts: Record<string, string | number>): string {
  return `${Object.entries(facts)
    .map(([k, val]) => `${k}=${String(val).replace(/\s+/g, '_')}`)
    .join('\n')}\n`;
}

export function operatorHandoff(inputs: HardwareSmokeInputs, transport: Transport, missing: string[]): string {
  const iso = inputs.isoUrl ?? inputs.isoPath ?? `\${${inputVariables.isoUrl}}`;
  const route =
    transport === 'usb'
      ? `Write the installer image to \`${inputs.usbDevice}\` (\`ucproof hardware-smoke run\` does it with dd), plug it into the target and boot it once from USB.`
      : transport === 'bmc'
        ? `\`ucproof hardware-smoke run\` drives the BMC at \`${inputs.bmc?.url ?? '?'}\` over Redfish: VirtualMedia.InsertMedia (\`${iso}\`), a one-time boot override to Cd (PATCH Systems Boot, If-Match with the ETag, BootSourceOverrideMode as reported), ComputerSystem.Reset On, and VirtualMedia.EjectMedia once the installer rebooted.`
        : 'No transport is configured: attach a USB device or give the BMC URL and credentials (see missing-requirements.txt).';
  return `# UltraCloud hardware smoke: operator hand-off

Canonical bare-metal route (nixosConfigurations.ultracloud-iso on a physical node). USB and BMC virtual media
change only how the image reaches the machine; the bootstrap contract and the marker sequence are the same as in
the QEMU proof.

## 1. Present the installer
${route}

## 2. Kernel parameters
Append the line in \`kernel-params.txt\` to the installer's kernel command line. The bootstrap token is not in
that file: expand \`${tokenPlaceholder}\` from your own environment (\`eval echo "$(cat kernel-params.txt)"\`).
The live installer must reach the deployer${inputs.binaryCacheUrl ? ' and the binary cache' : ''} over DHCP-configured networking before Disko runs.

## 3. Watch the console
Serial-over-LAN, the BMC console or a physical console must show, in order, the markers in
\`expected-markers.txt\` (\`ULTRACLOUD_MARKER <name>.<node>\` lines). Any marker in \`failure-markers.txt\` means
the install failed: keep the console log.

## 4. Capture the evidence
\`ucproof hardware-smoke capture --serial-log <console.log>\` (or \`--ssh root@<installed-host>:22 --ssh-key <file>\`)
checks the sequence through \`desired-system-active.*\` and stores the console in the proof root.

## Status
transport: ${transport}
${missing.length ? `blocked, missing:\n${missing.map((m) => `- ${m}`).join('\n')}` : 'all inputs present'}
`;
}
