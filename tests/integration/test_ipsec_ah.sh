#!/usr/bin/env bash
# AH (RFC 4302) terminated in twamp-dp's worker: static AH SAs from
# ipsec.sas, scapy's AH in the peer namespace (test_ipsec_peer.py --ah).
# TWAMP Light over AH tunnel mode with HMAC-SHA1-96 (IPv4) and STAMP with
# HMAC-SHA2-256-128 (IPv6); replies' ICVs verified by scapy, fields checked;
# replays and forged ICVs not answered and counted per SA (telemetry); an
# IPv4 header with a wrong checksum (the ICV leaves it out) not answered and
# counted as drop_l3_cksum (RFC 1122 §3.2.1.2); key-imported SAs drop and
# count (ts_mismatch) a packet whose inner source their traffic selectors
# do not hold (RFC 4301 §5.2); static SAs drop and count (inner_drop) a
# packet whose inner source no reply may go to (127.0.0.1, ::ffff:0:0/96).
# Then AH SA pairs pushed through key import (`twamp-ctl key add child-add
# proto=ah`, docs/key-import.md §6.4): TWAMP Light over AH tunnel mode
# (HMAC-SHA1-96, IPv4) and STAMP over AH transport mode (HMAC-SHA2-256-128,
# IPv6), scapy verifying every reply's ICV; `child-del` stops them (a valid
# packet is not answered, the SAs leave telemetry).
# Every algorithm/family/mode pair against scapy's vectors: tests/unit/ipsec.
# Prints TAP; needs root; about 25 s.
#
#   tests/integration/test_ipsec_ah.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
CTL="$BUILD/app/twamp-ctl/twamp-ctl"
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
# key import (HMAC-SHA1-96: 20 octets; HMAC-SHA2-256-128: 32)
K1_IN=e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3
K1_OUT=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00010203
K2_IN=5051525354555657585958595a5b5c5d5e5f606162636465666768696a6b6c6d
K2_OUT=707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f

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

if [ "$(id -u)" -ne 0 ] || [ ! -x "$DP" ] || [ ! -x "$CTL" ]; then
  echo "1..1"
  echo "ok 1 - # SKIP needs root, $DP and $CTL"
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
  key_import:
    socket: $LOG/keys.sock
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
  --auth HMAC-SHA1-96 --akey $S1_IN --akey-out $S1_OUT --count 10 --martian-src 127.0.0.1
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V6 $DUT_V6 $P_STAMP --proto stamp --ah \
  --spi-in 0x3002 --spi-out 0x4002 --cipher NULL --ckey "" --ckey-out "" \
  --auth SHA2-256-128 --akey $S2_IN --akey-out $S2_OUT --count 10 --martian-src ::ffff:198.18.0.2

for sa in in:0x00003001 out:0x00004001 in:0x00003002 out:0x00004002; do
  tel "/twamp/ipsec/sa,$sa" >"$LOG/$sa.json" 2>>"$LOG/steps"
done
for n in 1 2; do
  check "SA in 0x300$n: 11 packets (1 from a loopback / IPv4-mapped inner source), 1 replay, 1 ICV failure" \
    sh -c "[ $(jq_sa in:0x0000300$n packets) = 11 ] && [ $(jq_sa in:0x0000300$n replay_drop) = 1 ] && [ $(jq_sa in:0x0000300$n auth_fail) = 1 ]"
  check "SA in 0x300$n: the packet from the martian inner source counted inner_drop (1)" \
    test "$(jq_sa in:0x0000300$n inner_drop)" = 1
  check "SA out 0x400$n: 10 packets" test "$(jq_sa out:0x0000400$n packets)" = 10
done
tel /twamp/dp/stats >"$LOG/dp.json" 2>>"$LOG/steps"
check "the IPv4 AH packet with a wrong header checksum: dropped as drop_l3_cksum (1), before its SA" \
  test "$("$PY" -c "import json; print(json.load(open('$LOG/dp.json'))['/twamp/dp/stats']['drop_l3_cksum'])")" = 1
check "telemetry shows proto ah" sh -c "grep -q '\"proto\": \"ah\"' '$LOG/in:0x00003001.json'"
check "telemetry never shows keys" sh -c "! cat '$LOG'/*:0x*.json | grep -qi '${S1_IN:0:16}\|${S2_IN:0:16}\|key'"

# ---- AH through key import (docs/key-import.md §6.4: out before in) ----
key() { "$CTL" -k "$LOG/keys.sock" key "$@"; }
KA_OUT1="child-add spi=00005001 dir=out peer-spi=00006001 proto=ah mode=tunnel src=$DUT_V4 dst=$PEER_V4 encap=none integ=2 integ-name=hmac-sha1-96 integ-key=$K1_OUT ts-local=$DUT_V4/32 ts-remote=$PEER_V4/32[17/0-65535] name=ah-light"
KA_IN1="child-add spi=00006001 dir=in peer-spi=00005001 proto=ah mode=tunnel src=$PEER_V4 dst=$DUT_V4 encap=none integ=2 integ-key=$K1_IN replay-window=64 ts-local=$DUT_V4/32 ts-remote=$PEER_V4/32[17/0-65535] name=ah-light"
KA_OUT2="child-add spi=00005002 dir=out peer-spi=00006002 proto=ah mode=transport src=$DUT_V6 dst=$PEER_V6 encap=none integ=12 integ-name=hmac-sha2-256-128 integ-key=$K2_OUT ts-local=$DUT_V6/128 ts-remote=$PEER_V6/128[17/0-65535] name=ah-stamp"
KA_IN2="child-add spi=00006002 dir=in peer-spi=00005002 proto=ah mode=transport src=$PEER_V6 dst=$DUT_V6 encap=none integ=12 integ-key=$K2_IN ts-local=$DUT_V6/128 ts-remote=$PEER_V6/128[17/0-65535] name=ah-stamp"
printf '%s\n' "$KA_OUT1" "$KA_IN1" "$KA_OUT2" "$KA_IN2" | key add - >"$LOG/ka" 2>&1
check "twamp-ctl key add: 4 AH child-add records, ok added each" \
  test "$(grep -c '^ok added' "$LOG/ka")" -eq 4
sed 's/^/# /' "$LOG/ka" | grep -v '^# ok added' || true
tel /twamp/ipsec/sa,in:0x00006001 >"$LOG/in:0x00006001.json" 2>>"$LOG/steps"
check "key-imported SA in 0x6001 is AH, tunnel, hmac-sha1-96, replies on 0x5001" \
  "$PY" -c "import json; d = json.load(open('$LOG/in:0x00006001.json'))['/twamp/ipsec/sa']; assert (d['proto'], d['mode'], d['auth'], d['reply_spi']) == ('ah', 'tunnel', 'hmac-sha1-96', 0x5001), d"
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V4 $DUT_V4 $P_LIGHT --proto light --ah \
  --spi-in 0x6001 --spi-out 0x5001 --cipher NULL --ckey "" --ckey-out "" \
  --auth HMAC-SHA1-96 --akey $K1_IN --akey-out $K1_OUT --count 5 --spoof-src 198.18.0.77
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V6 $DUT_V6 $P_STAMP --proto stamp --ah \
  --transport --spi-in 0x6002 --spi-out 0x5002 --cipher NULL --ckey "" --ckey-out "" \
  --auth SHA2-256-128 --akey $K2_IN --akey-out $K2_OUT --count 5 --spoof-src 2001:2::77
for sa in in:0x00006001 out:0x00005001 in:0x00006002 out:0x00005002; do
  tel "/twamp/ipsec/sa,$sa" >"$LOG/$sa.json" 2>>"$LOG/steps"
done
for n in 1 2; do
  # 6 verified: the 5 answered and the one outside the selectors
  check "key-imported SA in 0x600$n: 6 packets, 1 replay, 1 ICV failure" \
    sh -c "[ $(jq_sa in:0x0000600$n packets) = 6 ] && [ $(jq_sa in:0x0000600$n replay_drop) = 1 ] && [ $(jq_sa in:0x0000600$n auth_fail) = 1 ]"
  check "key-imported SA out 0x500$n: 5 packets" test "$(jq_sa out:0x0000500$n packets)" = 5
  check "key-imported SA in 0x600$n: the packet outside its selectors counted as ts_mismatch (1)" \
    test "$(jq_sa in:0x0000600$n ts_mismatch)" = 1
done
# child-del: inbound first, then outbound (§6.5)
printf '%s\n' "child-del spi=00006001 dir=in proto=ah dst=$DUT_V4" \
  "child-del spi=00005001 dir=out proto=ah dst=$PEER_V4" \
  "child-del spi=00006002 dir=in proto=ah dst=$DUT_V6" \
  "child-del spi=00005002 dir=out proto=ah dst=$PEER_V6" | key del - >"$LOG/kd" 2>&1
check "twamp-ctl key del: 4 child-del records, ok deleted each" \
  test "$(grep -c '^ok deleted' "$LOG/kd")" -eq 4
sed 's/^/# /' "$LOG/kd" | grep -v '^# ok deleted' || true
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V4 $DUT_V4 $P_LIGHT --proto light --ah \
  --spi-in 0x6001 --spi-out 0x5001 --cipher NULL --ckey "" --ckey-out "" \
  --auth HMAC-SHA1-96 --akey $K1_IN --akey-out $K1_OUT --count 5 --gone
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V6 $DUT_V6 $P_STAMP --proto stamp --ah \
  --transport --spi-in 0x6002 --spi-out 0x5002 --cipher NULL --ckey "" --ckey-out "" \
  --auth SHA2-256-128 --akey $K2_IN --akey-out $K2_OUT --count 5 --gone
tel /twamp/ipsec/sas >"$LOG/sas.json" 2>>"$LOG/steps"
check "after child-del telemetry lists only the 4 static SAs" \
  "$PY" -c "import json; assert sorted(json.load(open('$LOG/sas.json'))['/twamp/ipsec/sas']) == sorted(['in:0x00003001', 'out:0x00004001', 'in:0x00003002', 'out:0x00004002'])"

stop_pids "$APP"
wait "$APP" 2>/dev/null; rc=$?
APP=0
check "SIGTERM: twamp-dp exits 0 (got $rc)" test "$rc" -eq 0
finish
