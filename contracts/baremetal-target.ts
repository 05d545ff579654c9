import type { Endpoint } from '../profiles/descriptor-schema.ts';
import type { TargetIdentity } from '../profiles/result-schema.ts';
import type { AcceleratorMode, GuestSpec, ProbeGuest, SshTarget } from './guest.ts';
import type { DeployerPort, InstallPlan } from './ports/deployer.ts';

/** One QEMU-as-bare-metal node of the proof: its class's configuration and the disk its by-id selector names. */
export interface BaremetalNode {
  /** the node id the installer reports (its DMI serial) and the marker suffix */
  name: string;
  role: 'control-plane' | 'worker';
  /** nixosConfigurations.<configuration>, e.g. baremetal-qemu-control-plane */
  configuration: string;
  /** the install plan's target_disk_by_id, e.g. /dev/disk/by-id/virtio-uc-control-root */
  diskById: string;
}

/**
 * The canonical bare-metal proof's two nodes (the seed's QEMU-as-bare-metal pair): one control-plane node and one
 * worker-equivalent node, each installed onto the disk its class's by-id selector names.
 */
export const canonicalBaremetalNodes: readonly BaremetalNode[] = [
  {
    name: 'bm-control01',
    role: 'control-plane',
    configuration: 'baremetal-qemu-control-plane',
    diskById: '/dev/disk/by-id/virtio-uc-control-root',
  },
  {
    name: 'bm-worker01',
    role: 'worker',
    configuration: 'baremetal-qemu-worker',
    diskById: '/dev/disk/by-id/virtio-uc-worker-root',
  },
];

export interface BaremetalDisk {
  /** e.g. /dev/disk/by-id/virtio-uc-control-root */
  byId: string;
  /** the raw disk image on the host */
  path: string;
}

/** Disko's layout of the target disk: the partition table type (as sfdisk names it), file system and label. */
export interface DiskLayout {
  table: string;
  fsType: string;
  label: string;
}

/** A prepared bare-metal environment: images built, deployer running with install plans, disks created. */
export interface BaremetalSession extends AsyncDisposable {
  readonly nodes: readonly BaremetalNode[];
  readonly deployer: DeployerPort;
  /** the installer ISO boot of a node, bootstrap parameters on its kernel command line */
  installerGuest(node: BaremetalNode): GuestSpec;
  /** the boot of a node from its installed disk; its console is appended to the installer boot's serialLog */
  installedGuest(node: BaremetalNode): GuestSpec;
  /**
   * every disk attached to the node, as the host sees it: its /dev/disk/by-id name in the guest and the raw image
   * file behind it (read back after the install, while no guest runs)
   */
  disks(node: BaremetalNode): readonly BaremetalDisk[];
  /** what the node class's Disko config lays out on the plan's disk */
  diskLayout(node: BaremetalNode): DiskLayout;
  /** SSH to the installed node through its hostfwd */
  ssh(node: BaremetalNode): SshTarget;
  /** the desired system the deployer publishes for the node's class */
  desiredSystem(node: BaremetalNode): string;
  /** facts for environment.txt (images, deployer endpoint, forwards) */
  readonly facts: Record<string, string>;
}

/**
 * What the bare-metal proof runs against. The reference lab builds its installer from busybox and the Debian kernel;
 * the real monorepo boots nixosConfigurations.ultracloud-iso. The lane never asks which.
 */
export interface BaremetalTarget {
  readonly name: string;
  /** which target's installer this is (set when the harness selects it) */
  identity?: TargetIdentity;
  /** the guest the accelerator probe boots */
  probeGuest(): Promise<ProbeGuest>;
  open(options: { accel: AcceleratorMode; stateDir: string; runtimeDir: string }): Promise<BaremetalSession>;
}

/** What a target's bare-metal deployer is started with: the install plans, the flake bundle and the nodes. */
export interface BaremetalDeployerRequest {
  /** a directory the deployer may keep its state in */
  stateDir: string;
  /** the token phone-home must present (a secret: never logged) */
  bootstrapToken: string;
  /** the flake bundle (tar.gz) the deployer serves to the installer */
  bundlePath: string;
  /** one node class per configuration: its install plan and the system nix-agent must converge to */
  classes: Array<{ name: string; installPlan: InstallPlan; desiredSystem: string }>;
  /** nodes pre-registered into their classes */
  nodes: Array<{ node_id: string; node_class: string; hostname: string }>;
}

/** A started bare-metal deployer: where it listens on the host's loopback, and its port. */
export interface BaremetalDeployer extends AsyncDisposable {
  readonly endpoint: Endpoint;
  readonly port: DeployerPort;
}

/**
 * The optional bare-metal deployer binding a bindings module exports as `baremetalDeployer`: the target's own
 * deployer, started with install plans and the bundle, that the installer phones home to. A target whose bindings
 * lack it cannot run the ISO install: the lane ends blocked, naming it.
 */
export type BaremetalDeployerBinding = (request: BaremetalDeployerRequest) => Promise<BaremetalDeployer>;

/** What the harness hands a driver's baremetal() from the target's bindings module. */
export interface BaremetalBindings {
  deployer?: BaremetalDeployerBinding;
}
