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

# An ISO boot carries no ultracloud.* kernel parameters: the deployer falls back to QEMU's user-NAT host (the
# harness maps this fixed port to the real deployer) and the bootstrap token comes from QEMU fw_cfg, never from
# the image. Parameters on the kernel command line win.
ISO_DEPLOYER_FALLBACK=http://10.0.2.2:8088
FW_CFG_TOKEN=/sys/firmware/qemu_fw_cfg/by_name/opt/ultracloud/bootstrap_token/raw
bootstrap_fallbacks() {
  UC_DEPLOYER_URL=${UC_DEPLOYER_URL:-$ISO_DEPLOYER_FALLBACK}
  if [ -z "${UC_BOOTSTRAP_TOKEN:-}" ] && [ -r "$FW_CFG_TOKEN" ]; then UC_BOOTSTRAP_TOKEN=$(cat "$FW_CFG_TOKEN"); fi
  return 0
}

# The ISO's installer makes the installed disk boot by itself: the kernel and the disk-boot stage it carries go
# onto the partition mounted at $3, extlinux into /boot/extlinux, syslinux's MBR onto the disk $1 ($2: partition).
# The lab's kernel-command-line installer carries none of this and leaves the disk to the harness's loader.
ISO_BOOT_FILES=/usr/share/ultracloud/boot
make_disk_bootable() {
  [ -d "$ISO_BOOT_FILES" ] || return 0
  mkdir -p "$3/boot/extlinux"
  cp "$ISO_BOOT_FILES/vmlinuz" "$3/boot/vmlinuz" || return 1
  cp "$ISO_BOOT_FILES/disk-boot.cpio.gz" "$3/boot/initrd.gz" || return 1
  cat > "$3/boot/extlinux/extlinux.conf" <<CFG
SERIAL 0 115200
DEFAULT system
TIMEOUT 1
PROMPT 0
LABEL system
  KERNEL /boot/vmlinuz
  APPEND initrd=/boot/initrd.gz console=ttyS0 quiet panic=-1 no_timer_check ultracloud.root_serial=${1#/dev/disk/by-id/virtio-}
CFG
  extlinux --install "$3/boot/extlinux" >/tmp/extlinux.log 2>&1 || return 1
  dd if="$ISO_BOOT_FILES/mbr.bin" of="$1" bs=440 count=1 conv=notrunc 2>/dev/null || return 1
}

# the partition the MBR boots: marked active once the file system is unmounted
mark_active() {
  [ -d "$ISO_BOOT_FILES" ] || return 0
  printf 'a\n1\nw\n' | fdisk "$1" >/tmp/fdisk-active.log 2>&1
  fdisk -l "$1" 2>/dev/null | grep -q "^$2 *\*" || fdisk -l "$(readlink -f "$1")" 2>/dev/null | grep -q '\*'
}

# A system booted by a QEMU harness takes root's authorized SSH key from fw_cfg when its image carries none
FW_CFG_SSH_KEY=/sys/firmware/qemu_fw_cfg/by_name/opt/ultracloud/ssh_authorized_key/raw
fw_cfg_authorized_key() {
  [ -r "$FW_CFG_SSH_KEY" ] && [ ! -s /root/.ssh/authorized_keys ] || return 0
  mkdir -p /root/.ssh && chmod 700 /root/.ssh
  cat "$FW_CFG_SSH_KEY" > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys
}
