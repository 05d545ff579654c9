#!/bin/sh
# PID 1 of the installed system (from the flake bundle, unpacked onto the disk by the installer).
. /etc/ultracloud/common.sh
mount_basics
. /etc/ultracloud/node.env
hostname "$UC_HOSTNAME"
marker post-install.boot "configuration=$UC_NIXOS_CONFIGURATION system=$(cat /etc/ultracloud/system-id)"
load_modules
fw_cfg_authorized_key
acpid -d >/run/acpid.log 2>&1 &
network_up || marker post-install.failed.network "no DHCP lease on eth0"
if [ -x /usr/sbin/dropbear ]; then
  mkdir -p /etc/dropbear /root/.ssh /dev/pts
  mount -t devpts devpts /dev/pts 2>/dev/null
  /usr/sbin/dropbear -R -s -p 22 -E 2>/run/dropbear.log
fi
/usr/bin/nix-agent &
while true; do sleep 3600; done
