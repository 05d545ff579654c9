# Shared by the reference flake's image builders (sourced by /bin/sh in plain derivations, sandbox off): checks
# for the host inputs, the guest kernel's module resolver, and the initramfs / root file system stager. Host inputs,
# read at build time: the guest kernel scripts/setup.sh provides at $kernelDir, /bin/busybox (busybox-static),
# kmod, cpio, and for the ISO xorriso, isolinux, syslinux-common and extlinux.
set -eu
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
export SOURCE_DATE_EPOCH=1

missing() {
  echo "$name: missing $1" >&2
  exit 1
}
[ -f "$kernelDir/vmlinuz" ] || missing "the guest kernel $kernelDir/vmlinuz (scripts/setup.sh provides it)"
[ -f "$kernelDir/version" ] || missing "the guest kernel release file $kernelDir/version (scripts/setup.sh provides it)"
kver=$(cat "$kernelDir/version")
mods="$kernelDir/modules/$kver"
[ -d "$mods" ] || missing "the guest kernel's modules $mods (scripts/setup.sh provides them)"
[ -x /bin/busybox ] || missing "/bin/busybox (Debian package busybox-static)"
command -v modinfo >/dev/null || missing "modinfo (Debian package kmod)"
command -v cpio >/dev/null || missing "cpio (Debian package cpio)"

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


# a dynamically linked host binary ($1) into the image root ($2) at $3, with the shared libraries it loads
copy_with_libs() {
  mkdir -p "$2${3%/*}"
  cp "$1" "$2$3"
  chmod 0755 "$2$3"
  for lib in $(ldd "$1" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'); do
    mkdir -p "$2${lib%/*}"
    cp -L "$lib" "$2$lib"
  done
}
