#!/usr/bin/env bash
# AH (RFC 4302) terminated in twamp-dp's worker: static AH SAs from
# ipsec.sas, scapy's AH in the peer namespace (test_ipsec_peer.py --ah).
# TWAMP Light over AH tunnel mode with HMAC-SHA1-96 (IPv4) and STAMP with
# HMAC-SHA2-256-128 (IPv6); replies' ICVs verified by scapy, fields checked;
# replays and forged ICVs not answered and counted per SA (telemetry).
# Transport mode and every algorithm/family pair: tests/unit/ipsec.
# Prints TAP; needs root; about 15 s.
#
#   tests/integration/test_ipsec_ah.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
PY=/usr/bin/python3
PEERPY="$top/tests/integration/test_ipsec_peer.py"
TESTBED="$top/scripts/testbed.sh"
export TW_TB=iah
DUT_NS=iah-dut PEER_NS=iah-peer PEER_IF=iah-peer0
DUT_V4=198.18.0.1 DUT_V6=2001:2::1 PEER_V4=198.18.0.2 PEER_V6=2001:2::2
P_LIGHT=8620 P_STAMP=8623
PREFIX=tw-iah-$$
# test keys (not secret)
S1_IN=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3
S1_OUT=c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3
S2_IN=101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
S2_OUT=303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f

LOG=$(mktemp -d /tmp/tw-iah.XXXXXX)
APP=0
. "$top/tests/integration/tap_lib.sh"
. "$top/tests/integration/ipsec_lib.sh"
cleanup() {
  stop_pids "$APP"
  "$TESTBED" down >/dev/null 2>&1
  rm -rf "$LOG" "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ] || [ ! -x "$DP" ]; then
  echo "1..1"
  echo "ok 1 - # SKIP needs root and $DP"
  exit 0
fi

umask 077
cat >"$LOG/keys.yaml" <<EOF
secrets:
  s1-in: $S1_IN
  s1-out: $S1_OUT
  s2-in: $S2_IN
  s2-out: $S2_OUT
EOF
dp_yaml "$LOG/ah.yaml"
cat >>"$LOG/ah.yaml" <<EOF
ipsec:
  sas:
    - {spi: 0x3001, direction: in, proto: ah, src: $PEER_V4, dst: $DUT_V4, mode: tunnel,
       cipher: null, auth: hmac-sha1-96, auth_key: s1-in}
    - {spi: 0x4001, direction: out, proto: ah, src: $DUT_V4, dst: $PEER_V4, mode: tunnel,
       cipher: null, auth: hmac-sha1-96, auth_key: s1-out}
    - {spi: 0x3002, direction: in, proto: ah, src: "$PEER_V6", dst: "$DUT_V6", mode: tunnel,
       cipher: null, auth: hmac-sha256-128, auth_key: s2-in}
    - {spi: 0x4002, direction: out, proto: ah, src: "$DUT_V6", dst: "$PEER_V6", mode: tunnel,
       cipher: null, auth: hmac-sha256-128, auth_key: s2-out}
EOF
umask 022

"$TESTBED" down >/dev/null 2>&1
check "test bed iah up" "$TESTBED" up
check "the configuration passes twamp-dp --check" "$DP" --check "$LOG/ah.yaml"
start_dp "$LOG/ah.yaml" "twamp-dp starts with 4 AH SAs"

dut_mac

relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V4 $DUT_V4 $P_LIGHT --proto light --ah \
  --spi-in 0x3001 --spi-out 0x4001 --cipher NULL --ckey "" --ckey-out "" \
  --auth HMAC-SHA1-96 --akey $S1_IN --akey-out $S1_OUT --count 10
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V6 $DUT_V6 $P_STAMP --proto stamp --ah \
  --spi-in 0x3002 --spi-out 0x4002 --cipher NULL --ckey "" --ckey-out "" \
  --auth SHA2-256-128 --akey $S2_IN --akey-out $S2_OUT --count 10

for sa in in:0x00003001 out:0x00004001 in:0x00003002 out:0x00004002; do
  tel "/twamp/ipsec/sa,$sa" >"$LOG/$sa.json" 2>>"$LOG/steps"
done
for n in 1 2; do
  check "SA in 0x300$n: 10 packets, 1 replay, 1 ICV failure" \
    sh -c "[ $(jq_sa in:0x0000300$n packets) = 10 ] && [ $(jq_sa in:0x0000300$n replay_drop) = 1 ] && [ $(jq_sa in:0x0000300$n auth_fail) = 1 ]"
  check "SA out 0x400$n: 10 packets" test "$(jq_sa out:0x0000400$n packets)" = 10
done
check "telemetry shows proto ah" sh -c "grep -q '\"proto\": \"ah\"' '$LOG/in:0x00003001.json'"
check "telemetry never shows keys" sh -c "! cat '$LOG'/*:0x*.json | grep -qi '${S1_IN:0:16}\|${S2_IN:0:16}\|key'"

stop_pids "$APP"
wait "$APP" 2>/dev/null; rc=$?
APP=0
check "SIGTERM: twamp-dp exits 0 (got $rc)" test "$rc" -eq 0
finish
