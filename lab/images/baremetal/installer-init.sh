#!/bin/sh
# The lab's live installer (the stand-in for nixosConfigurations.ultracloud-iso): phone home to the deployer,
# fetch the flake bundle, partition and format the selected disk (Disko's job), install the system, reboot.
. /etc/ultracloud/common.sh
mount_basics
read_cmdline
dmi_serial=$(cat /sys/class/dmi/id/product_serial 2>/dev/null)
UC_NODE=${UC_NODE_ID:-$dmi_serial}
UC_HOSTNAME=${UC_HOSTNAME:-$UC_NODE}
hostname "$UC_HOSTNAME"
marker pre-install.boot

# lab faults named on the kernel command line (ultracloud.faults=a,b; see lab/images/baremetal-faults.ts)
has_fault() { case ",${UC_FAULTS:-}," in *",$1,"*) return 0 ;; esac; return 1; }

fail() {
  marker "install.failed.$1" "$2"
  sync
  sleep 1
  poweroff -f
}

load_modules
bootstrap_fallbacks
network_up || fail network "no DHCP lease on eth0"
[ -n "$UC_DEPLOYER_URL" ] || fail phone-home "ultracloud.deployer_url is not set"
make_by_id_links
disks=$(ls /dev/disk/by-id | sed 's|^|"/dev/disk/by-id/|; s|$|"|' | tr '\n' ',' | sed 's/,$//')
auth="Authorization: Bearer ${UC_BOOTSTRAP_TOKEN:-}"

body="{\"node_id\":\"$UC_NODE\",\"hostname\":\"$UC_HOSTNAME\",\"dmi_serial\":\"$dmi_serial\",\"disks_by_id\":[$disks]}"
if ! wget -q -O /tmp/plan.json --header "$auth" --header 'Content-Type: application/json' \
  --post-data "$body" "$UC_DEPLOYER_URL/api/v1/phone-home" 2>/tmp/wget.err; then
  fail phone-home "$(tail -n 1 /tmp/wget.err)"
fi
cfg=$(json_field nixos_configuration < /tmp/plan.json)
disko=$(json_field disko_config_path < /tmp/plan.json)
target=$(json_field target_disk_by_id < /tmp/plan.json)
bundle=$(json_field bundle_url < /tmp/plan.json)
[ -n "$cfg" ] && [ -n "$disko" ] && [ -n "$target" ] || fail phone-home "install plan incomplete: $(cat /tmp/plan.json)"
marker pre-install.phone-home.complete "configuration=$cfg disk=$target"

case "$bundle" in http*) ;; *) bundle="$UC_DEPLOYER_URL${bundle:-/api/v1/bundle}" ;; esac
wget -q -O /tmp/bundle.tar.gz --header "$auth" "$bundle?node_id=$UC_NODE" 2>/tmp/wget.err ||
  fail bundle-download "$(tail -n 1 /tmp/wget.err)"
mkdir -p /tmp/bundle && tar -xzf /tmp/bundle.tar.gz -C /tmp/bundle || fail bundle-download "bundle is not a tar.gz"
bundle_sha256=$(sha256sum /tmp/bundle.tar.gz | cut -d ' ' -f 1)
bundle_marker="bytes=$(wc -c < /tmp/bundle.tar.gz) sha256=$bundle_sha256"
has_fault markers-out-of-order || marker install.bundle-downloaded "$bundle_marker"

# Disko: the disk layout comes from the bundle, the disk from the node class's by-id selector
[ -f "/tmp/bundle/$disko" ] || fail disko "disko config $disko not in bundle"
. "/tmp/bundle/$disko"
[ -e "$target" ] || fail disko "target disk $target does not exist"
disk=$target part="$target-part1"
has_fault partition-first-disk && disk=/dev/vda part=/dev/vda1
printf 'o\nn\np\n1\n\n\nw\n' | fdisk "$disk" >/tmp/fdisk.log 2>&1
make_by_id_links
[ -e "$part" ] || fail disko "partition $part did not appear"
mke2fs -q -L "${DISKO_LABEL:-nixos}" "$part" >/tmp/mke2fs.log 2>&1 || fail disko "mke2fs: $(tail -n 1 /tmp/mke2fs.log)"
mkdir -p /mnt && mount -t "${DISKO_FSTYPE:-ext2}" "$part" /mnt || fail disko "cannot mount $part"
marker install.disko.complete "partition=$part"
has_fault markers-out-of-order && marker install.bundle-downloaded "$bundle_marker"

# nixos-install: put the configuration's system onto the disk and give it its identity
system="/tmp/bundle/systems/$cfg.tar.gz"
[ -f "$system" ] || fail nixos-install "configuration $cfg not in bundle"
tar -xzf "$system" -C /mnt || fail nixos-install "cannot unpack $cfg"
mkdir -p /mnt/etc/ultracloud
cat > /mnt/etc/ultracloud/node.env <<ENV
UC_NODE=$UC_NODE
UC_HOSTNAME=$UC_HOSTNAME
UC_DEPLOYER_URL=$UC_DEPLOYER_URL
UC_BOOTSTRAP_TOKEN=${UC_BOOTSTRAP_TOKEN:-}
UC_NIXOS_CONFIGURATION=$cfg
UC_INSTALLED_FROM=$target
ENV
chmod 600 /mnt/etc/ultracloud/node.env
echo "$bundle_sha256" > /mnt/etc/ultracloud/bundle.sha256
make_disk_bootable "$target" "$part" /mnt || fail nixos-install "cannot make $target boot: $(tail -n 1 /tmp/extlinux.log 2>/dev/null)"
sync
umount /mnt || fail nixos-install "cannot unmount target"
mark_active "$target" "$part" || fail nixos-install "cannot mark $part active: $(tail -n 1 /tmp/fdisk-active.log)"
marker install.nixos-install.complete "configuration=$cfg"

marker reboot
sync
reboot -f
