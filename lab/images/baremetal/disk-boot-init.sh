#!/bin/sh
# The lab's boot loader stage, in the firmware's boot order: the first disk whose first partition holds an installed
# system (an /init) is mounted and handed over to. Nothing of the installed system lives in this image.
. /etc/ultracloud/common.sh
mount_basics
read_cmdline
load_modules
mkdir -p /newroot
root=
for b in /sys/block/vd*; do
  dev=/dev/${b##*/}1
  [ -e "$dev" ] || continue
  if mount -t ext2 "$dev" /newroot 2>/dev/null; then
    [ -x /newroot/init ] && root=$dev && break
    umount /newroot
  fi
done
if [ -z "$root" ]; then
  UC_NODE=${UC_NODE_ID:-unknown} marker post-install.failed.no-installed-system "no disk holds an installed system"
  sleep 1
  poweroff -f
fi
umount /proc /sys 2>/dev/null
mount --move /dev /newroot/dev 2>/dev/null || umount /dev 2>/dev/null
exec switch_root /newroot /init
