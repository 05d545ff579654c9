# Builds the reference flake's ultracloud-iso (sourced by /bin/sh in a plain derivation, sandbox off): a live
# installer initramfs made from the lab installer's own scripts, host busybox-static and the guest kernel's virtio
# modules, on an El Torito-bootable ISO (isolinux, xorriso) beside that kernel. Inputs from the host, read at build
# time: the guest kernel scripts/setup.sh provides at $kernelDir, /bin/busybox (busybox-static), xorriso and
# isolinux/syslinux-common/extlinux.
set -eu
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
export SOURCE_DATE_EPOCH=1

missing() {
  echo "ultracloud-iso: missing $1" >&2
  exit 1
}
[ -f "$kernelDir/vmlinuz" ] || missing "the guest kernel $kernelDir/vmlinuz (scripts/setup.sh provides it)"
[ -f "$kernelDir/version" ] || missing "the guest kernel release file $kernelDir/version (scripts/setup.sh provides it)"
kver=$(cat "$kernelDir/version")
mods="$kernelDir/modules/$kver"
[ -d "$mods" ] || missing "the guest kernel's modules $mods (scripts/setup.sh provides them)"
[ -x /bin/busybox ] || missing "/bin/busybox (Debian package busybox-static)"
command -v xorriso >/dev/null || missing "xorriso (Debian package xorriso)"
command -v modinfo >/dev/null || missing "modinfo (Debian package kmod)"
command -v cpio >/dev/null || missing "cpio (Debian package cpio)"
[ -f /usr/lib/ISOLINUX/isolinux.bin ] || missing "/usr/lib/ISOLINUX/isolinux.bin (Debian package isolinux)"
bios=/usr/lib/syslinux/modules/bios
[ -f "$bios/ldlinux.c32" ] || missing "$bios/ldlinux.c32 (Debian package syslinux-common)"
[ -f /usr/lib/syslinux/mbr/mbr.bin ] || missing "/usr/lib/syslinux/mbr/mbr.bin (Debian package syslinux-common)"
[ -x /usr/bin/extlinux ] || missing "/usr/bin/extlinux (Debian package extlinux)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# module name (dashes folded) -> path, then each wanted module after its dependencies (what modprobe would load)
find "$mods/kernel" -name '*.ko*' | while read -r p; do
  b=${p##*/}
  echo "$(echo "${b%%.ko*}" | tr - _) $p"
done > "$work/index"
: > "$work/order"
visit() {
  local _n _p _d
  _n=$(echo "$1" | tr - _)
  _p=$(awk -v n="$_n" '$1 == n { print $2; exit }' "$work/index")
  if [ -z "$_p" ]; then
    [ "$2" = required ] && missing "kernel module $1 under $mods"
    return 0
  fi
  grep -qxF "$_p" "$work/order" && return 0
  for _d in $(modinfo -F softdep "$_p" | tr ' ,' '\n\n' | grep -v ':$' || true); do visit "$_d" optional; done
  for _d in $(modinfo -F depends "$_p" | tr ',' ' '); do visit "$_d" required; done
  grep -qxF "$_p" "$work/order" || echo "$_p" >> "$work/order"
}

# an initramfs: busybox with its applets, /init, the shared scripts, modules and their load order ($1 dir, $2 init)
populate() {
  root=$1
  mkdir -p "$root"
  for d in bin sbin usr/bin usr/sbin etc etc/ultracloud proc sys dev tmp run mnt root; do mkdir -p "$root/$d"; done
  cp /bin/busybox "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  for a in $(/bin/busybox --list-full); do
    [ "$a" = bin/busybox ] || [ -e "$root/$a" ] || { mkdir -p "$root/${a%/*}"; ln -s /bin/busybox "$root/$a"; }
  done
  cp "$2" "$root/init"
  chmod 0755 "$root/init"
  cp "$commonSh" "$root/etc/ultracloud/common.sh"
  cp "$udhcpcScript" "$root/etc/udhcpc.script"
  chmod 0755 "$root/etc/udhcpc.script"
  : > "$root/etc/modules.order"
  while read -r p; do
    rel=${p#"$mods"/}
    mkdir -p "$root/lib/modules/$kver/${rel%/*}"
    cp "$p" "$root/lib/modules/$kver/$rel"
    echo "/lib/modules/$kver/$rel" >> "$root/etc/modules.order"
  done < "$work/order"
}
pack() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n) > "$2"; }

# the disk-boot stage the installer puts on the disk beside the kernel (virtio disk, ext4, no network)
for m in virtio_pci virtio_blk crc32c_generic ext4; do visit "$m" required; done
populate "$work/diskboot" "$diskBootInit"
pack "$work/diskboot" "$work/diskboot.cpio.gz"

# the live installer: virtio disk and network, ext4, fw_cfg (the bootstrap token), extlinux to make the disk boot
: > "$work/order"
for m in virtio_pci virtio_blk virtio_net crc32c_generic ext4 qemu_fw_cfg; do visit "$m" required; done
populate "$work/installer" "$installerInit"
mkdir -p "$work/installer/usr/share/ultracloud/boot" "$work/installer/lib64" "$work/installer/lib/x86_64-linux-gnu"
cp /usr/bin/extlinux "$work/installer/usr/sbin/extlinux.bin"
for lib in $(ldd /usr/bin/extlinux | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'); do
  mkdir -p "$work/installer${lib%/*}"
  cp -L "$lib" "$work/installer$lib"
done
rm -f "$work/installer/usr/sbin/extlinux"
mv "$work/installer/usr/sbin/extlinux.bin" "$work/installer/usr/sbin/extlinux"
cp /usr/lib/syslinux/mbr/mbr.bin "$work/installer/usr/share/ultracloud/boot/mbr.bin"
cp "$bios/ldlinux.c32" "$work/installer/usr/share/ultracloud/boot/ldlinux.c32"
cp "$kernelDir/vmlinuz" "$work/installer/usr/share/ultracloud/boot/vmlinuz"
cp "$work/diskboot.cpio.gz" "$work/installer/usr/share/ultracloud/boot/disk-boot.cpio.gz"
pack "$work/installer" "$work/installer.cpio.gz"

# the ISO: isolinux boots the kernel with the installer initramfs; no bootstrap parameter is baked in
mkdir -p "$work/iso/isolinux" "$work/iso/boot"
cp /usr/lib/ISOLINUX/isolinux.bin "$bios/ldlinux.c32" "$work/iso/isolinux/"
cp "$kernelDir/vmlinuz" "$work/iso/boot/vmlinuz"
cp "$work/installer.cpio.gz" "$work/iso/boot/installer.cpio.gz"
cat > "$work/iso/isolinux/isolinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT installer
TIMEOUT 1
PROMPT 0
LABEL installer
  KERNEL /boot/vmlinuz
  APPEND initrd=/boot/installer.cpio.gz console=ttyS0 quiet panic=-1
CFG
mkdir -p "$out/iso" "$out/nix-support"
xorriso -as mkisofs -quiet -o "$out/iso/$isoName.iso" -V ULTRACLOUD_ISO \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
  -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin "$work/iso"
echo "$kver" > "$out/kernel-version"
echo "file iso $out/iso/$isoName.iso" > "$out/nix-support/hydra-build-products"
