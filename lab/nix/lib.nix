# Small builders for the reference flake. Every derivation is a plain `builtins.derivation` run by /bin/sh with
# the host's coreutils on PATH (the flake is evaluated and built offline with the sandbox off: no nixpkgs, no
# inputs, nothing to download).
let
  system = "x86_64-linux";

  # A derivation whose output directory holds the given files ({ "node.json" = "..."; "bin/x" = "..."; }),
  # executable when the path starts with "bin/", plus symlinks ({ system = <drv>; }).
  mkTree =
    { name, files ? { }, links ? { } }:
    let
      fileNames = builtins.attrNames files;
      indexed = builtins.genList (i: {
        var = "file${toString i}";
        path = builtins.elemAt fileNames i;
      }) (builtins.length fileNames);
      copyFile = f: ''
        mkdir -p "$(dirname "$out/${f.path}")"
        cp "${"$" + f.var}Path" "$out/${f.path}"
        case "${f.path}" in bin/*) chmod 0555 "$out/${f.path}" ;; *) chmod 0444 "$out/${f.path}" ;; esac
      '';
      linkFile = l: ''
        ln -s ${links.${l}} "$out/${l}"
      '';
    in
    builtins.derivation (
      {
        inherit name system;
        builder = "/bin/sh";
        PATH = "/usr/bin:/bin";
        passAsFile = [ "script" ] ++ builtins.map (f: f.var) indexed;
        script = builtins.concatStringsSep "\n" (
          [ "set -eu" "mkdir -p \"$out\"" ]
          ++ builtins.map copyFile indexed
          ++ builtins.map linkFile (builtins.attrNames links)
        );
        args = [ "-c" ". \"$scriptPath\"" ];
      }
      // builtins.listToAttrs (builtins.map (f: { name = f.var; value = files.${f.path}; }) indexed)
    );

  # The host location of the guest kernel the image builders read (scripts/setup.sh provides it).
  kernelDir = "/var/lib/ultracloud-proof/guest-kernel";

  # A bare-metal system the installer can put on a disk: the toplevel holds node.json, disko.sh (the disk layout)
  # and rootfs.tar.gz (a bootable root made from the lab's system scripts, see system-builder.sh).
  mkInstallableSystem =
    { name, hostname, nodeJson, productSurface }:
    builtins.derivation {
      name = "nixos-system-${hostname}";
      inherit system kernelDir nodeJson productSurface;
      configuration = name;
      builder = "/bin/sh";
      passAsFile = [ "nodeJson" "productSurface" "disko" ];
      disko = "DISKO_TABLE=msdos\nDISKO_FSTYPE=ext2\nDISKO_LABEL=nixos\n";
      imageLib = ./image-lib.sh;
      systemInit = ../images/baremetal/system-init.sh;
      nixAgent = ../images/baremetal/nix-agent.sh;
      commonSh = ../images/baremetal/common.sh;
      udhcpcScript = ../images/baremetal/udhcpc.script;
      args = [ "-c" ". ${./system-builder.sh}" ];
    };

  # A NixOS-shaped configuration for one node: `config.system.build.toplevel` is a derivation whose output holds
  # node.json ({ hostname, role, services, profile }) and the product-surface manifest the node ships.
  mkNode =
    name: node:
    let
      description = {
        schema = "ultracloud-lab/node@1";
        hostname = node.hostname or name;
        configuration = name;
        inherit (node) role services;
        profile = node.profile or null;
        components = node.components or [ ];
      };
      nodeJson = builtins.toJSON description + "\n";
      # the machine-readable product surface the system ships: its profile, services and every component
      productSurface = builtins.toJSON {
        schema = "ultracloud/product-surface@1";
        inherit (description) profile services;
        components = description.services ++ description.components;
      } + "\n";
      toplevel =
        if node.installable or false then
          mkInstallableSystem { inherit name nodeJson productSurface; hostname = description.hostname; }
        else
          mkTree {
            name = "nixos-system-${description.hostname}";
            files = {
              "node.json" = nodeJson;
              "etc/ultracloud/product-surface.json" = productSurface;
              "nixos-version" = "ultracloud-lab\n";
            };
          };
    in
    {
      config = {
        networking.hostName = description.hostname;
        ultracloud = description;
        system.build.toplevel = toplevel;
        system.build.vm = mkVm description.hostname { memoryMiB = node.memoryMiB or 384; cpus = node.cpus or 1; } toplevel;
      };
    };

  # The node as a QEMU VM, shaped like NixOS's `system.build.vm`: `bin/run-<host>-vm` runs qemu-system-x86_64
  # (from PATH) and honours QEMU_OPTS (appended), QEMU_NET_OPTS (appended to the user-mode netdev, e.g.
  # `hostfwd=tcp:127.0.0.1:22301-:22`), QEMU_KERNEL_PARAMS (appended to the kernel command line) and
  # NIX_DISK_IMAGE (the qcow2 state disk, created when missing). It uses KVM when /dev/kvm is writable, else TCG,
  # unless QEMU_OPTS chooses with -accel. The lab cannot build a Linux guest offline, so the kernel and the
  # initramfs come from the harness: ULTRACLOUD_LAB_GUEST_KERNEL and ULTRACLOUD_LAB_GUEST_INITRD (the harness's
  # node image, which boots as the host named by `ultracloud.hostname=`).
  mkVm =
    hostname: { memoryMiB, cpus }: toplevel:
    mkTree {
      name = "nixos-vm-${hostname}";
      files."bin/run-${hostname}-vm" = ''
        #!/bin/sh
        set -eu
        kernel="''${ULTRACLOUD_LAB_GUEST_KERNEL:?run-${hostname}-vm: set ULTRACLOUD_LAB_GUEST_KERNEL to the guest kernel}"
        initrd="''${ULTRACLOUD_LAB_GUEST_INITRD:?run-${hostname}-vm: set ULTRACLOUD_LAB_GUEST_INITRD to the node image}"
        disk="''${NIX_DISK_IMAGE:-./${hostname}.qcow2}"
        if [ ! -e "$disk" ]; then
          qemu-img create -f qcow2 "$disk" 512M >/dev/null
        fi
        accel=""
        case " ''${QEMU_OPTS:-} " in
          *" -accel "*) ;;
          *) if [ -w /dev/kvm ]; then accel="-accel kvm -cpu host"; else accel="-accel tcg -cpu max"; fi ;;
        esac
        net="user,id=user.0"
        if [ -n "''${QEMU_NET_OPTS:-}" ]; then net="$net,$QEMU_NET_OPTS"; fi
        # shellcheck disable=SC2086
        exec qemu-system-x86_64 -name ${hostname} -machine q35 $accel -m ${toString memoryMiB} -smp ${toString cpus} \
          -nodefaults -no-user-config -vga none \
          -netdev "$net" -device virtio-net-pci,netdev=user.0 \
          -drive "file=$disk,if=none,id=state,format=qcow2" -device virtio-blk-pci,drive=state,serial=nixos-state \
          -kernel "$kernel" -initrd "$initrd" \
          -append "console=ttyS0 panic=-1 quiet ultracloud.hostname=${hostname} ultracloud.system=${toplevel} ''${QEMU_KERNEL_PARAMS:-}" \
          ''${QEMU_OPTS:-} "$@"
      '';
      links.system = toplevel;
    };

  # A materialized runner: `bin/<name>` hands its arguments to the proof harness's CLI (ucproof, or the command
  # in ULTRACLOUD_PROOF_CLI), the same way the monorepo's built check runners execute their harness.
  mkRunner =
    name: command:
    mkTree {
      inherit name;
      files."bin/${name}" = ''
        #!/bin/sh
        cli="''${ULTRACLOUD_PROOF_CLI:-ucproof}"
        command -v "''${cli%% *}" >/dev/null 2>&1 || {
          echo "${name}: the proof harness CLI '$cli' is not on PATH (set ULTRACLOUD_PROOF_CLI)" >&2
          exit 127
        }
        exec $cli ${command} "$@"
      '';
    };

  # Where the proof harness registers itself for a lane check's build (written by `ucproof check <name>`,
  # root-owned, mode 0600): the node and CLI to run and the run's environment, faults included. A builder gets a
  # clean environment and cannot find the project by itself; this file is how it does.
  checkHarnessRegistration = "/run/ultracloud-proof/check-harness.json";

  # A lane check: building it runs the lane `name` through the registered proof harness and fails the build when
  # the lane fails or is blocked, or when no harness is registered for `name`. The output is the lane's proof root
  # (result.json at the top), the suite root under suite/, and the given links under checks/. The derivation is
  # impure (`__impure`, Nix's impure-derivations and ca-derivations features): its output is never reused, so every
  # build runs the lane again against the lab as it is now, and a broken lab cannot pass from an earlier build.
  mkLaneCheck =
    { name, links ? { } }:
    builtins.derivation {
      inherit name system;
      __impure = true;
      builder = "/bin/sh";
      PATH = "/usr/bin:/bin";
      registration = checkHarnessRegistration;
      passAsFile = [ "script" ];
      script = ''
        set -eu
        fail() { echo "check ${name}: $*" >&2; exit 1; }
        if [ ! -f "$registration" ]; then
          fail "no proof harness is registered for this build: $registration is missing (build the check with 'ucproof check ${name}', which registers the harness and runs the lane)"
        fi
        # the registration is JSON written one field a line; node and cli are plain absolute paths
        field() { sed -n "s|^  \"$1\": \"\(/[^\"\\]*\)\",\{0,1\}\$|\1|p" "$registration"; }
        node="$(field node)"
        cli="$(field cli)"
        [ -n "$node" ] && [ -x "$node" ] || fail "the registration $registration names no executable node"
        [ -n "$cli" ] && [ -f "$cli" ] || fail "the registration $registration names no proof harness CLI"
        "$node" "$cli" check --in-build --out "$out" ${name}
      '' + builtins.concatStringsSep "" (builtins.map (l: ''
        mkdir -p "$out/checks"
        ln -sT ${links.${l}} "$out/checks/${l}"
      '') (builtins.attrNames links));
      args = [ "-c" ". \"$scriptPath\"" ];
    };
in
{
  inherit system kernelDir mkTree mkNode mkVm mkRunner mkLaneCheck checkHarnessRegistration;
}
