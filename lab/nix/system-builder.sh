# Builds an installable bare-metal system of the reference flake (baremetal-qemu-*): its toplevel holds the node
# description, the disk layout its installer applies (disko.sh) and rootfs.tar.gz, the root file system the
# installer unpacks onto the disk: busybox, the lab's system init and nix-agent, the virtio modules, the host's
# dropbear, /etc/ultracloud/system-id naming this toplevel and the toplevel's own path.
. "$imageLib"
[ -x /usr/sbin/dropbear ] || missing "/usr/sbin/dropbear (Debian package dropbear-bin)"
mkdir -p "$out/etc/ultracloud"
cp "$nodeJsonPath" "$out/node.json"
cp "$productSurfacePath" "$out/etc/ultracloud/product-surface.json"
echo ultracloud-lab > "$out/nixos-version"
cp "$diskoPath" "$out/disko.sh"

for m in virtio_pci virtio_blk virtio_net button evdev qemu_fw_cfg; do visit "$m" required; done
root="$work/root"
populate "$root" "$systemInit"
cp "$nixAgent" "$root/usr/bin/nix-agent"
chmod 0755 "$root/usr/bin/nix-agent"
mkdir -p "$root/etc/acpi/PWRF" "$root/root/.ssh"
printf '#!/bin/sh\nsync\npoweroff -f\n' > "$root/etc/acpi/PWRF/00000080"
chmod 0755 "$root/etc/acpi/PWRF/00000080"
copy_with_libs /usr/sbin/dropbear "$root" /usr/sbin/dropbear
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
echo /bin/sh > "$root/etc/shells"
chmod 0700 "$root/root/.ssh"
echo "$out" > "$root/etc/ultracloud/system-id"
mkdir -p "$root$out"
echo "$configuration" > "$root$out/configuration"
cp "$out/node.json" "$root$out/node.json"
tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1 -cf - . | gzip -9n > "$out/rootfs.tar.gz"
