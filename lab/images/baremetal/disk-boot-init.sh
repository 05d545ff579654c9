#!/bin/sh
# The lab's boot loader stage: find the installed disk by its serial, mount it and hand over to the /init the
# installer put there. Nothing of the installed system lives in this image.
. /etc/ultracloud/common.sh
mount_basics
read_cmdline
load_modules
make_by_id_links
root="/dev/disk/by-id/virtio-${UC_ROOT_SERIAL:-}-part1"
mkdir -p /newroot
if ! mount -t ext2 "$root" /newroot 2>/dev/null || [ ! -x /newroot/init ]; then
  UC_NODE=$UC_ROOT_SERIAL marker post-install.failed.no-installed-system "root=$root"
  sleep 1
  poweroff -f
fi
umount /proc /sys 2>/dev/null
mount --move /dev /newroot/dev 2>/dev/null || umount /dev 2>/dev/null
exec switch_root /newroot /init
