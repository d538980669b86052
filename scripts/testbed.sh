#!/usr/bin/env bash
# Network namespace test bed for twamp-dp (no NIC needed).
#
#   scripts/testbed.sh up     create it (idempotent)
#   scripts/testbed.sh down   remove what "up" made, and only that
#   scripts/testbed.sh show   print its state
#   TW_TB=ctl scripts/testbed.sh up   the same with namespaces ctl-dut/ctl-peer
#
#   namespace tw-dut   veth end "tw-dut", driven by DPDK net_af_packet; start the
#                      appliance here (`ip netns exec tw-dut ...`) so its TAP
#                      exception interfaces (tw-<port>) appear here too.
#   namespace tw-peer  veth end "tw-peer0", kernel stack, 198.18.0.2/24 and
#                      2001:2::2/64; the appliance's addresses are .1 and ::1.
#
# The kernel of tw-dut must not answer on "tw-dut" itself: DPDK owns that port
# and the kernel answers through the TAP, which holds the addresses. So the veth
# has NOARP (no ARP replies for the TAP's addresses), no IPv6 (no ND) and strict
# rp_filter (IPv4 from the peer arriving on the veth is dropped, since the route
# back goes through the TAP). Packet sockets still see every frame. Checksum offload is off on the kernel-side veth, or the
# peer's kernel would hand over CHECKSUM_PARTIAL frames with bad UDP checksums.
set -euo pipefail

# TW_TB=<name> (default "tw", at most 8 characters) names a separate test bed
# <name>-dut / <name>-peer / <name>-peer0, so that suites can run side by side.
TB=${TW_TB:-tw}
case "$TB" in
  ''|*[!a-z0-9]*) echo "TW_TB: lower-case letters and digits only" >&2; exit 2 ;;
esac
[ ${#TB} -le 8 ] || { echo "TW_TB: at most 8 characters" >&2; exit 2; }
DUT_NS=$TB-dut
PEER_NS=$TB-peer
DUT_IF=$TB-dut
PEER_IF=$TB-peer0
PEER_V4=198.18.0.2/24
PEER_V6=2001:2::2/64

nsx() { ip netns exec "$@"; }
have_ns() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

up() {
  have_ns "$DUT_NS" || ip netns add "$DUT_NS"
  have_ns "$PEER_NS" || ip netns add "$PEER_NS"
  if ! nsx "$DUT_NS" ip link show "$DUT_IF" >/dev/null 2>&1; then
    # a half-made pair from an interrupted run: start clean
    nsx "$PEER_NS" ip link del "$PEER_IF" 2>/dev/null || true
    ip link del "$DUT_IF" 2>/dev/null || true
    ip link add "$DUT_IF" type veth peer name "$PEER_IF"
    ip link set "$DUT_IF" netns "$DUT_NS"
    ip link set "$PEER_IF" netns "$PEER_NS"
  fi

  nsx "$DUT_NS" ip link set lo up
  nsx "$DUT_NS" sysctl -qw "net.ipv6.conf.$DUT_IF.disable_ipv6=1"
  nsx "$DUT_NS" ip link set "$DUT_IF" arp off
  nsx "$DUT_NS" ethtool -K "$DUT_IF" tx off rx off >/dev/null 2>&1 || true
  nsx "$DUT_NS" ip link set "$DUT_IF" up
  nsx "$DUT_NS" sysctl -qw "net.ipv4.conf.$DUT_IF.rp_filter=1"

  nsx "$PEER_NS" ip link set lo up
  # no DAD: the test starts right away and the appliance cannot collide
  nsx "$PEER_NS" sysctl -qw "net.ipv6.conf.$PEER_IF.accept_dad=0"
  nsx "$PEER_NS" ethtool -K "$PEER_IF" tx off >/dev/null
  nsx "$PEER_NS" ip addr replace "$PEER_V4" dev "$PEER_IF"
  nsx "$PEER_NS" ip -6 addr replace "$PEER_V6" dev "$PEER_IF" nodad
  nsx "$PEER_NS" ip link set "$PEER_IF" up
}

down() {
  # deleting a namespace deletes the veth pair and any TAP left inside it
  have_ns "$PEER_NS" && ip netns del "$PEER_NS"
  have_ns "$DUT_NS" && ip netns del "$DUT_NS"
  ip link del "$DUT_IF" 2>/dev/null || true
  return 0
}

show() {
  for ns in "$DUT_NS" "$PEER_NS"; do
    if have_ns "$ns"; then
      echo "== $ns"
      nsx "$ns" ip -br addr
    else
      echo "== $ns (absent)"
    fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  show) show ;;
  *) echo "usage: $0 up|down|show" >&2; exit 2 ;;
esac
