# Shared by the lab's installer, disk-boot and installed-system scripts (busybox sh).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

marker() { echo "ULTRACLOUD_MARKER $1.${UC_NODE:-unknown}${2:+ $2}"; }

mount_basics() {
  mkdir -p /proc /sys /dev /tmp /run
  [ -e /proc/self ] || mount -t proc proc /proc
  [ -d /sys/kernel ] || mount -t sysfs sysfs /sys
  grep -q '^devtmpfs /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
}

load_modules() {
  [ -f /etc/modules.order ] || return 0
  while read -r m; do
    [ -n "$m" ] && insmod "$m" 2>/dev/null
  done < /etc/modules.order
  return 0
}

# ultracloud.* kernel parameters become UC_* variables (ultracloud.deployer_url -> UC_DEPLOYER_URL)
read_cmdline() {
  for arg in $(cat /proc/cmdline); do
    case "$arg" in
      ultracloud.*=*)
        key=$(echo "${arg%%=*}" | sed 's/^ultracloud\.//' | tr 'a-z.-' 'A-Z__')
        eval "UC_$key=\"\${arg#*=}\""
        ;;
    esac
  done
}

# /dev/disk/by-id/virtio-<serial>[-partN] links, as udev makes them
make_by_id_links() {
  mkdir -p /dev/disk/by-id
  for b in /sys/block/vd*; do
    [ -e "$b/serial" ] || continue
    name=${b##*/}
    serial=$(cat "$b/serial")
    [ -n "$serial" ] || continue
    ln -sf "/dev/$name" "/dev/disk/by-id/virtio-$serial"
    for p in "$b/$name"*; do
      [ -e "$p/partition" ] || continue
      ln -sf "/dev/${p##*/}" "/dev/disk/by-id/virtio-$serial-part$(cat "$p/partition")"
    done
  done
}

network_up() {
  ip link set lo up
  ip link set eth0 up || return 1
  udhcpc -i eth0 -n -q -t 10 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1
}

# value of a top-level string field in a flat JSON object
json_field() { sed -n "s/.*\"$1\"[ ]*:[ ]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }
