import { readFileSync } from 'node:fs';
import { HarnessError } from '../../contracts/errors.ts';
import { registerSecret } from '../../helpers/redact.ts';

/** Everything hardware-smoke needs from the operator: transport (USB or BMC), installer image, bootstrap. */
export interface HardwareSmokeInputs {
  usbDevice?: string;
  bmc?: {
    url?: string;
    username?: string;
    password?: string;
    passwordFile?: string;
    auth: 'basic' | 'session';
    caFile?: string;
    insecure: boolean;
  };
  /** what the BMC fetches (InsertMedia Image) */
  isoUrl?: string;
  /** a local image: written to USB, or served to the BMC from loopback */
  isoPath?: string;
  deployerUrl?: string;
  bootstrapToken?: string;
  /** lab deployer with allow_unauthenticated=true: no token needed */
  allowUnauthenticated: boolean;
  caCertUrl?: string;
  binaryCacheUrl?: string;
  nodeId?: string;
  hostname?: string;
  /** capture: a serial console log to read markers from */
  serialLog?: string;
  /** capture: the installed host over SSH, user@host:port with a key file */
  ssh?: { host: string; port: number; user: string; keyFile: string };
  /** capture over SSH: the desired system (desired_system.target_system) the host must run */
  desiredSystem?: string;
  /** how long run/capture wait for markers */
  timeoutMs: number;
}

/** The environment variables hardware-smoke reads; CLI flags of the same meaning override them. */
export const inputVariables = {
  usbDevice: 'ULTRACLOUD_HARDWARE_USB_DEVICE',
  bmcUrl: 'ULTRACLOUD_BMC_URL',
  bmcUsername: 'ULTRACLOUD_BMC_USERNAME',
  bmcPassword: 'ULTRACLOUD_BMC_PASSWORD',
  bmcPasswordFile: 'ULTRACLOUD_BMC_PASSWORD_FILE',
  bmcAuth: 'ULTRACLOUD_BMC_AUTH',
  bmcCaFile: 'ULTRACLOUD_BMC_CA_FILE',
  bmcInsecure: 'ULTRACLOUD_BMC_INSECURE',
  isoUrl: 'ULTRACLOUD_ISO_URL',
  isoPath: 'ULTRACLOUD_ISO_PATH',
  deployerUrl: 'ULTRACLOUD_DEPLOYER_URL',
  bootstrapToken: 'ULTRACLOUD_BOOTSTRAP_TOKEN',
  allowUnauthenticated: 'ULTRACLOUD_ALLOW_UNAUTHENTICATED',
  caCertUrl: 'ULTRACLOUD_CA_CERT_URL',
  binaryCacheUrl: 'ULTRACLOUD_BINARY_CACHE_URL',
  nodeId: 'ULTRACLOUD_NODE_ID',
  hostname: 'ULTRACLOUD_HOSTNAME',
  serialLog: 'ULTRACLOUD_SERIAL_LOG',
  ssh: 'ULTRACLOUD_HARDWARE_SSH',
  sshKey: 'ULTRACLOUD_HARDWARE_SSH_KEY',
  desiredSystem: 'ULTRACLOUD_DESIRED_SYSTEM',
  timeoutMs: 'ULTRACLOUD_HARDWARE_TIMEOUT_MS',
} as const;

const v = inputVariables;

/** Read inputs from the environment; a malformed value is an error naming the variable. */
export function readHardwareSmokeInputs(env: NodeJS.ProcessEnv = process.env): HardwareSmokeInputs {
  const get = (name: string) => (env[name]?.trim() ? env[name].trim() : undefined);
  const url = (name: string) => {
    const value = get(name);
    if (value !== undefined && !/^https?:\/\/[^\s/]+/.test(value)) {
      throw new HarnessError(`${name} must be an http(s) URL, got "${value}"`);
    }
    return value;
  };
  const bmcUrl = url(v.bmcUrl);
  const bmcUsername = get(v.bmcUsername);
  const bmcPassword = get(v.bmcPassword);
  const bmcPasswordFile = get(v.bmcPasswordFile);
  const auth = get(v.bmcAuth) ?? 'basic';
  if (auth !== 'basic' && auth !== 'session')
    throw new HarnessError(`${v.bmcAuth} must be basic or session, got "${auth}"`);
  const timeout = Number(get(v.timeoutMs) ?? 900_000);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new HarnessError(`${v.timeoutMs} must be a positive number`);
  const sshSpec = get(v.ssh);
  let ssh: HardwareSmokeInputs['ssh'];
  if (sshSpec) {
    const m = /^([^@\s]+)@([^:\s]+)(?::(\d+))?$/.exec(sshSpec);
    if (!m) throw new HarnessError(`${v.ssh} must be user@host[:port], got "${sshSpec}"`);
    const keyFile = get(v.sshKey);
    if (!keyFile) throw new HarnessError(`${v.ssh} is set but ${v.sshKey} (the private key file) is not`);
    const port = Number(m[3] ?? 22);
    if (port < 1 || port > 65535) throw new HarnessError(`${v.ssh} port must be 1-65535, got ${port}`);
    ssh = { user: m[1] as string, host: m[2] as string, port, keyFile };
  }
  const inputs: HardwareSmokeInputs = {
    usbDevice: get(v.usbDevice),
    bmc:
      bmcUrl || bmcUsername || bmcPassword || bmcPasswordFile
        ? {
            url: bmcUrl,
            username: bmcUsername,
            password: bmcPassword,
            passwordFile: bmcPasswordFile,
            auth,
            caFile: get(v.bmcCaFile),
            insecure: get(v.bmcInsecure) === '1',
          }
        : undefined,
    isoUrl: url(v.isoUrl),
    isoPath: get(v.isoPath),
    deployerUrl: url(v.deployerUrl),
    bootstrapToken: get(v.bootstrapToken),
    allowUnauthenticated: get(v.allowUnauthenticated) === '1',
    caCertUrl: url(v.caCertUrl),
    binaryCacheUrl: url(v.binaryCacheUrl),
    nodeId: get(v.nodeId),
    hostname: get(v.hostname),
    serialLog: get(v.serialLog),
    ssh,
    desiredSystem: get(v.desiredSystem),
    timeoutMs: timeout,
  };
  registerSecret(inputs.bootstrapToken);
  registerSecret(inputs.bmc?.password);
  return inputs;
}

/** The BMC password, from the variable or the file; registered as a secret. */
export function bmcPassword(inputs: HardwareSmokeInputs): string | undefined {
  const bmc = inputs.bmc;
  if (!bmc) return undefined;
  let password = bmc.password;
  if (!password && bmc.passwordFile) {
    try {
      password = readFileSync(bmc.passwordFile, 'utf8').trim();
    } catch (err) {
      throw new HarnessError(`${v.bmcPasswordFile} "${bmc.passwordFile}" cannot be read: ${(err as Error).message}`);
    }
  }
  registerSecret(password);
  return password || undefined;
}

export type Transport = 'usb' | 'bmc' | 'none';

/**
 * What is missing, by exact variable name. No transport names both routes (USB device, or the BMC URL and
 * credentials); a partial BMC names only what it lacks.
 */
export function missingRequirements(inputs: HardwareSmokeInputs): { transport: Transport; missing: string[] } {
  const missing: string[] = [];
  let transport: Transport = 'none';
  const bmc = inputs.bmc;
  if (inputs.usbDevice) transport = 'usb';
  else if (bmc) {
    transport = 'bmc';
    if (!bmc.url) missing.push(v.bmcUrl);
    if (!bmc.username) missing.push(v.bmcUsername);
    if (!bmc.password && !bmc.passwordFile) missing.push(`${v.bmcPassword} (or ${v.bmcPasswordFile})`);
  } else {
    missing.push(
      `${v.usbDevice} (USB transport)`,
      `${v.bmcUrl} (BMC/Redfish transport)`,
      `${v.bmcUsername} (BMC/Redfish transport)`,
      `${v.bmcPassword} or ${v.bmcPasswordFile} (BMC/Redfish transport)`,
    );
  }
  if (transport === 'usb' && !inputs.isoPath) missing.push(`${v.isoPath} (the image written to the USB device)`);
  if (transport !== 'usb' && !inputs.isoUrl && !inputs.isoPath) missing.push(`${v.isoUrl} (or ${v.isoPath})`);
  if (!inputs.deployerUrl) missing.push(v.deployerUrl);
  if (!inputs.bootstrapToken && !inputs.allowUnauthenticated) {
    missing.push(
      `${v.bootstrapToken} (or ${v.allowUnauthenticated}=1 for a lab deployer with allow_unauthenticated=true)`,
    );
  }
  return { transport, missing };
}
