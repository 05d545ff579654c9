#!/bin/sh
# PID 1 of plasmavmc's tenant VM: a busybox web app on ports 80 and 8080.
# Kernel command line: ucp.vm=<name>; on a PrismNet port ucp.ip=<addr>/<prefix> ucp.gw=<gateway> (else user-mode
# NAT, 10.0.2.15); ucp.store=<host>:<port> and ucp.bucket=<bucket>: the web app keeps its state in LightningStor
# there (else on the virtio disk /dev/vda).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
name=webapp addr='' gw='' store='' bucket=''
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    ucp.vm=*) name=${arg#ucp.vm=} ;;
    ucp.ip=*) addr=${arg#ucp.ip=} ;;
    ucp.gw=*) gw=${arg#ucp.gw=} ;;
    ucp.store=*) store=${arg#ucp.store=} ;;
    ucp.bucket=*) bucket=${arg#ucp.bucket=} ;;
  esac
done
marker() { echo "ULTRACLOUD_MARKER $1.$name${2:+ $2}"; }
fail() { marker webapp.failed "$1"; sleep 1; poweroff -f; }
marker webapp.boot
while read -r m; do [ -n "$m" ] && insmod "$m" 2>/dev/null; done < /etc/modules.order
hostname "$name"
ip link set lo up
ip link set eth0 up || fail "no network interface eth0"
if [ -n "$addr" ]; then
  ip addr add "$addr" dev eth0 && ip route add default via "$gw" || fail "cannot configure $addr via $gw"
else
  ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
fi
[ -z "$store" ] || [ -n "$bucket" ] || fail "ucp.store without ucp.bucket"
printf 'name=%s\nstore_host=%s\nstore_port=%s\nbucket=%s\n' "$name" "${store%:*}" "${store##*:}" "$bucket" \
  > /etc/webapp.conf
acpid -c /etc/acpi -l /tmp/acpid.log 2>/dev/null
[ -n "$store" ] || [ -b /dev/vda ] || fail "no state disk /dev/vda"
/www/cgi-bin/state boot > /tmp/boot.log 2>&1 || fail "$(tr '\n' ' ' < /tmp/boot.log)"
httpd -p 80 -h /www
httpd -p 8080 -h /www
marker webapp.ready "addr=${addr:-10.0.2.15/24} state=$(/www/cgi-bin/state summary)"
while true; do sleep 3600; done
