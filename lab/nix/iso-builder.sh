# Builds the reference flake's ultracloud-iso: a live installer initramfs made from the lab installer's own
# scripts, host busybox-static and the guest kernel's virtio modules, on an El Torito-bootable ISO (isolinux,
# xorriso) beside that kernel.
. "$imageLib"
command -v xorriso >/dev/null || missing "xorriso (Debian package xorriso)"
[ -f /usr/lib/ISOLINUX/isolinux.bin ] || missing "/usr/lib/ISOLINUX/isolinux.bin (Debian package isolinux)"
bios=/usr/lib/syslinux/modules/bios
[ -f "$bios/ldlinux.c32" ] || missing "$bios/ldlinux.c32 (Debian package syslinux-common)"
[ -f /usr/lib/syslinux/mbr/mbr.bin ] || missing "/usr/lib/syslinux/mbr/mbr.bin (Debian package syslinux-common)"
[ -x /usr/bin/extlinux ] || missing "/usr/bin/extlinux (Debian package extlinux)"

# the disk-boot stage the installer puts on the disk beside the kernel (virtio disk, ext4, no network)
for m in virtio_pci virtio_blk crc32c_generic ext4; do visit "$m" required; done
populate "$work/diskboot" "$diskBootInit"
pack "$work/diskboot" "$work/diskboot.cpio.gz"

# the live installer: virtio disk and network, ext4, fw_cfg (the bootstrap token), extlinux to make the disk boot
: > "$work/order"
for m in virtio_pci virtio_blk virtio_net crc32c_generic ext4 qemu_fw_cfg; do visit "$m" required; done
populate "$work/installer" "$installerInit"
mkdir -p "$work/installer/usr/share/ultracloud/boot" "$work/installer/lib64" "$work/installer/lib/x86_64-linux-gnu"
rm -f "$work/installer/usr/sbin/extlinux"
copy_with_libs /usr/bin/extlinux "$work/installer" /usr/sbin/extlinux
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
  APPEND initrd=/boot/installer.cpio.gz console=ttyS0 quiet panic=-1 no_timer_check
CFG
mkdir -p "$out/iso" "$out/nix-support"
xorriso -as mkisofs -quiet -o "$out/iso/$isoName.iso" -V ULTRACLOUD_ISO \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
  -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin "$work/iso"
echo "$kver" > "$out/kernel-version"
echo "file iso $out/iso/$isoName.iso" > "$out/nix-support/hydra-build-products"
