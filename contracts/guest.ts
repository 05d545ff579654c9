/** One virtio disk: a host image file, presented with a serial so the guest sees /dev/disk/by-id/virtio-<serial>. */
export interface GuestDrive {
  path: string;
  serial?: string;
  format?: 'raw' | 'qcow2';
  readOnly?: boolean;
}

/** A user-mode NAT (slirp) TCP port forward from the host's loopback into the guest. */
export interface HostForward {
  hostPort: number;
  guestPort: number;
  /** loopback only (default 127.0.0.1) */
  hostAddress?: string;
}

export type AcceleratorMode = 'kvm' | 'tcg';

export interface GuestSpec {
  /** guest name, used for the QEMU process title and error messages */
  name: string;
  kernel: string;
  initrd?: string;
  append?: string;
  drives?: GuestDrive[];
  /** forwards on a user-mode NIC; the NIC exists when this is given or `network` is true */
  hostfwd?: HostForward[];
  network?: boolean;
  /** a virtio NIC on an existing host tap device (e.g. one enslaved to a tenant bridge), instead of user-mode NAT */
  tap?: { ifname: string; mac: string };
  /** file the serial console is appended to (across reboots and restarts) */
  serialLog: string;
  accel: AcceleratorMode;
  memoryMiB?: number;
  cpus?: number;
  /** a guest reboot ends QEMU instead of rebooting (default true: the harness decides what boots next) */
  exitOnReboot?: boolean;
  extraArgs?: string[];
}

/** The guest the accelerator probe boots: it prints the probe marker on its console and powers off. */
export interface ProbeGuest {
  kernel: string;
  /** an initramfs whose /init prints probeMarker on the console and powers off */
  initrd: string;
}

/** Where and as whom a node takes SSH. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string | Buffer;
}
