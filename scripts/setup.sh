#!/usr/bin/env bash
# Install every Debian package twamp-dp needs (idempotent), then configure and
# build. Safe to run again: installs only what is missing, rebuilds incrementally.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

PKGS=(
  build-essential pkg-config meson ninja-build
  dpdk dpdk-dev libdpdk-dev libipsec-mb-dev
  libssl-dev libyaml-dev libcmocka-dev libjansson-dev
  clang libclang-rt-14-dev
  tshark tcpdump python3-scapy python3-cryptography
  iproute2 ethtool iputils-ping iputils-arping
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: packages missing and not root; run as root or install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer once, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

BUILD=${BUILD:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=debugoptimized -Dwerror=true
fi
ninja -C "$BUILD"

# The strongSwan plugin (contrib/strongswan, docs/strongswan.md) for the IKE
# tests: fetches Debian's strongSwan source once (a few minutes the first
# time, seconds after). Without it those tests skip; TW_NO_STRONGSWAN=1 skips it.
if [ "$(id -u)" -eq 0 ] && [ "${TW_NO_STRONGSWAN:-0}" != 1 ]; then
  echo "setup: strongSwan plugin (log: $BUILD/strongswan-plugin.log)"
  scripts/build-strongswan-plugin.sh >"$BUILD/strongswan-plugin.log" 2>&1 ||
    echo "setup: strongSwan plugin not built (exit $?); its tests will skip" >&2
fi
