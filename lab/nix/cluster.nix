# The reference lab's `ultracloud.cluster` module: the node classes (install plans, desired systems), the nodes of
# the six-node harness with their class and role, and the services fleet-scheduler runs. Evaluated through
# lib/cluster-schema.nix into the flake output `ultracloud.cluster` (the generated state `deployer-ctl apply` takes).
{ toplevel }:
let
  controlPlane = node: {
    install_plan = {
      nixos_configuration = node;
      disko_config_path = "nix/disko/control-plane.sh";
      target_disk_by_id = "/dev/disk/by-id/virtio-uc-control-root";
    };
  };
  harness = configuration: {
    install_plan = {
      nixos_configuration = configuration;
      disko_config_path = "nix/disko/harness.sh";
      target_disk_by_id = "/dev/disk/by-id/virtio-uc-harness-root";
    };
  };
in
{
  name = "reference-lab";
  classes = {
    control-plane-node01 = controlPlane "node01";
    control-plane-node02 = controlPlane "node02";
    control-plane-node03 = controlPlane "node03";
    harness-node04 = harness "node04";
    harness-node05 = harness "node05";
    harness-node06 = harness "node06";
    # the bare-metal worker: phone-home hands out this plan and desired system
    baremetal-qemu-worker = {
      install_plan = {
        nixos_configuration = "baremetal-qemu-worker";
        disko_config_path = "nix/disko/baremetal-qemu-worker.sh";
        target_disk_by_id = "/dev/disk/by-id/virtio-uc-worker-root";
      };
      desired_system = {
        target_system = "${toplevel "baremetal-qemu-worker"}";
        health_check_command = "test -f ${toplevel "baremetal-qemu-worker"}/nixos-version";
      };
    };
  };
  nodes = {
    node01 = { class = "control-plane-node01"; role = "control-plane"; hostname = "node01"; };
    node02 = { class = "control-plane-node02"; role = "control-plane"; hostname = "node02"; };
    node03 = { class = "control-plane-node03"; role = "control-plane"; hostname = "node03"; };
    node04 = { class = "harness-node04"; role = "worker"; hostname = "node04"; };
    node05 = { class = "harness-node05"; role = "worker"; hostname = "node05"; };
    node06 = { class = "harness-node06"; role = "gateway"; hostname = "node06"; };
  };
  services = {
    # fleet-scheduler places it on node04 only: no replica may run on node05 or any other node
    cluster-smoke = { replicas = 2; command = null; nodes = [ "node04" ]; };
  };
}
