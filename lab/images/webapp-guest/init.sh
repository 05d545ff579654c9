#!/bin/sh
# PID 1 of plasmavmc's tenant VM: a busybox web app whose state lives on the attached virtio disk (/dev/vda).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
name=webapp
for arg in $(cat /proc/cmdline); do
  case "$arg" in ucp.vm=*) name=${arg#ucp.vm=} ;; esac
done
marker() { echo "ULTRACLOUD_MARKER $1.$name${2:+ $2}"; }
marker webapp.boot
while read -r m; do [ -n "$m" ] && insmod "$m" 2>/dev/null; done < /etc/modules.order
hostname "$name"
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
[ -b /dev/vda ] || { marker webapp.failed "no state disk /dev/vda"; sleep 1; poweroff -f; }
acpid -c /etc/acpi -l /tmp/acpid.log 2>/dev/null
/www/cgi-bin/state boot >/dev/null
httpd -p 80 -h /www
marker webapp.ready "state=$(/www/cgi-bin/state summary)"
while true; do sleep 3600; done
