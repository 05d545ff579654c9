# nixosConfigurations.ultracloud-iso.config.system.build.isoImage: a real, El Torito-bootable installer ISO built
# offline from the lab installer's own scripts (lab/images/baremetal/*.sh). Evaluation is pure; the build reads
# host tools and the guest kernel at the fixed location scripts/setup.sh provides (a missing one fails the build,
# naming it). The ISO carries no bootstrap parameter: the installer falls back to QEMU's user-NAT host 10.0.2.2 and
# reads its bootstrap token from QEMU fw_cfg.
{ system, kernelDir }:
builtins.derivation {
  name = "ultracloud-iso";
  inherit system;
  builder = "/bin/sh";
  isoName = "ultracloud-iso";
  inherit kernelDir;
  imageLib = ./image-lib.sh;
  installerInit = ../images/baremetal/installer-init.sh;
  diskBootInit = ../images/baremetal/disk-boot-init.sh;
  commonSh = ../images/baremetal/common.sh;
  udhcpcScript = ../images/baremetal/udhcpc.script;
  args = [ "-c" ". ${./iso-builder.sh}" ];
}
