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

/** A slirp guestfwd: the guest's connections to guestAddress:guestPort reach 127.0.0.1:hostPort on the host. */
export interface GuestForward {
  guestAddress: string;
  guestPort: number;
  hostPort: number;
}

/** A QEMU fw_cfg item the guest reads under /sys/firmware/qemu_fw_cfg/by_name/<name>/raw, from a host file. */
export interface FwCfgItem {
  /** e.g. opt/ultracloud/bootstrap_token */
  name: string;
  file: string;
}

export interface GuestSpec {
  /** guest name, used for the QEMU process title and error messages */
  name: string;
  /** a kernel booted directly (with initrd and append); without one the firmware boots `boot`'s device */
  kernel?: string;
  /** an ISO image attached as a CD-ROM */
  cdrom?: string;
  /** with no kernel: boot from the CD-ROM or from the first disk (default disk) */
  boot?: 'cdrom' | 'disk';
  /** fw_cfg items (e.g. a secret handed to the guest without a command line) */
  fwCfg?: FwCfgItem[];
  /** slirp guest forwards on the user-mode NIC (the NIC exists when given) */
  guestfwd?: GuestForward[];
  /**
   * the user-mode NAT's own address (slirp `host=`, default 10.0.2.2): moved (e.g. to 10.0.2.1) so a guestfwd may
   * claim 10.0.2.2, the address an ISO's installer falls back to
   */
  userNetHost?: string;
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
