#!/usr/bin/env bash
# ESP terminated in twamp-dp's worker: static SAs from ipsec.sas (keys from
# the key file's secrets), scapy in the peer namespace as the independent ESP
# end (test_ipsec_peer.py). TWAMP Light and STAMP test packets go in ESP-in-UDP
# (AES-GCM-128, IPv4) and plain ESP (AES-CBC-256 + HMAC-SHA256-128, IPv6; the
# other algorithms and transport mode are in tests/unit/ipsec); every reply is
# decrypted with the outbound SA's keys and
# checked field by field; replays, forged ICVs, unknown SPIs and inner
# sources no reply may go to (multicast, broadcast, loopback) are not
# answered and are counted per SA; IKE (non-ESP marker) reaches the host stack;
# tshark sees only ESP on the wire. The DS field across the tunnel (RFC
# 4301 §5.1.2.1, RFC 6040): the replies' outer DS field is their inner one,
# the reflector sees an outer CE / ECT(1) mark (STAMP Class of Service TLV),
# outer CE over Not-ECT is dropped and counted (ecn_drop). Then again with
# replay_window 0 on the IPv6 inbound SA (a replay is answered there, warned
# about at start), ESN on the IPv4 pair (default window: a replay is still
# dropped) and outer_dscp 10 on the IPv6 outbound SA.
# Prints TAP; needs root; ~27 s.
#
#   tests/integration/test_ipsec.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
PY=/usr/bin/python3
PEERPY="$top/tests/integration/test_ipsec_peer.py"
TESTBED="$top/scripts/testbed.sh"
export TW_TB=ips
DUT_NS=ips-dut PEER_NS=ips-peer PEER_IF=ips-peer0
DUT_V4=198.18.0.1 DUT_V6=2001:2::1 PEER_V4=198.18.0.2 PEER_V6=2001:2::2
P_LIGHT=8620 P_STAMP=8623
PREFIX=tw-ips-$$
# test keys (not secret)
GCM_KEY=101112131415161718191a1b1c1d1e1f20212223            # AES-128 | salt (RFC 4106)
GCM_KEY_OUT=303132333435363738393a3b3c3d3e3f40414243
CBC_KEY=505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f
CBC_KEY_OUT=707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f
SHA_KEY=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf
SHA_KEY_OUT=c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf

LOG=$(mktemp -d /tmp/tw-ips.XXXXXX)
APP=0 CAP=0
. "$top/tests/integration/tap_lib.sh"
. "$top/tests/integration/ipsec_lib.sh"

cleanup() {
  [ "$CAP" -ne 0 ] && kill -INT "$CAP" 2>/dev/null
  stop_pids "$APP"
  "$TESTBED" down >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$LOG"; rm -rf "/var/run/dpdk/$PREFIX"
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
  gcm-in: $GCM_KEY
  gcm-out: $GCM_KEY_OUT
  cbc-in: $CBC_KEY
  cbc-out: $CBC_KEY_OUT
  sha-in: $SHA_KEY
  sha-out: $SHA_KEY_OUT
EOF
dp_yaml "$LOG/ipsec.yaml"
cat >>"$LOG/ipsec.yaml" <<EOF
ipsec:
  sas:
    # IPv4: ESP in UDP (RFC 3948), AES-GCM-128
    - {spi: 0x2001, direction: in, src: $PEER_V4, dst: $DUT_V4, mode: tunnel,
       encap: udp, cipher: aes-gcm-128, auth: none, cipher_key: gcm-in}
    - {spi: 0x1001, direction: out, src: $DUT_V4, dst: $PEER_V4, mode: tunnel,
       encap: udp, cipher: aes-gcm-128, auth: none, cipher_key: gcm-out}
    # IPv6: plain ESP, AES-CBC-256 + HMAC-SHA2-256-128
    - {spi: 0x2002, direction: in, src: "$PEER_V6", dst: "$DUT_V6", mode: tunnel,
       cipher: aes-cbc-256, auth: hmac-sha256-128, cipher_key: cbc-in, auth_key: sha-in}
    - {spi: 0x1002, direction: out, src: "$DUT_V6", dst: "$PEER_V6", mode: tunnel,
       cipher: aes-cbc-256, auth: hmac-sha256-128, cipher_key: cbc-out, auth_key: sha-out}
EOF
umask 022

"$TESTBED" down >/dev/null 2>&1
check "test bed ips up" "$TESTBED" up
check "the configuration passes twamp-dp --check without warnings" \
  sh -c "'$DP' --check '$LOG/ipsec.yaml' >/dev/null 2>'$LOG/check.err' && ! grep -q warning '$LOG/check.err'"

start_dp "$LOG/ipsec.yaml" "twamp-dp starts with 4 static SAs"
check "start-up log lists the 4 SAs, no 'not built' warning" \
  sh -c "[ \$(grep -c 'twamp-dp: ipsec: SA ' '$LOG/app.err') -eq 4 ] && ! grep -q 'not built' '$LOG/app.err'"

# neighbours through the TAP (ARP / ND), and the appliance's MAC
dut_mac

ip netns exec $PEER_NS tcpdump -i $PEER_IF --immediate-mode -U -w "$LOG/cap.pcap" \
  "src host $DUT_V4 or src host $DUT_V6" 2>"$LOG/tcpdump.err" &
CAP=$!
for _ in $(seq 1 50); do grep -q listening "$LOG/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

# --martian-src: decrypted packets from sources no reply may go to (static
# SAs have no traffic selectors; the classifier refuses them, RFC 1122
# §3.2.1.3, RFC 4291 §2.7), counted inner_drop on their SA
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V4 $DUT_V4 $P_LIGHT --proto light \
  --spi-in 0x2001 --spi-out 0x1001 --cipher AES-GCM --ckey $GCM_KEY --ckey-out $GCM_KEY_OUT --udp --count 10 \
  --martian-src 224.0.0.9 --martian-src 255.255.255.255
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V6 $DUT_V6 $P_STAMP --proto stamp \
  --spi-in 0x2002 --spi-out 0x1002 --cipher AES-CBC --ckey $CBC_KEY \
  --auth SHA2-256-128 --akey $SHA_KEY --akey-out $SHA_KEY_OUT --ckey-out $CBC_KEY_OUT --count 10 \
  --martian-src ff02::1 --martian-src ::1

sleep 0.3
kill -INT "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
CAP=0
# tshark, an independent decoder: what left the appliance towards the peer
tshark -r "$LOG/cap.pcap" -o udp.check_checksum:TRUE -T fields -E separator=, \
  -e frame.protocols -e esp.spi -e esp.sequence >"$LOG/wire.csv" 2>"$LOG/tshark.err"
check "tshark: 10 ESP-in-UDP replies with SPI 0x1001 (udp:esp on the wire)" \
  test "$(grep -c 'udp:udpencap:esp,0x00001001' "$LOG/wire.csv")" -eq 10
check "tshark: 10 ESP replies over IPv6 with SPI 0x1002" \
  test "$(grep -c 'ipv6:esp,0x00001002' "$LOG/wire.csv")" -eq 10
check "tshark: no clear TWAMP/STAMP reply left the appliance" \
  sh -c "! grep -E 'udp(,|$)' '$LOG/wire.csv' | grep -v udpencap | grep -q ."

# the counters per SA (DPDK telemetry /twamp/ipsec/sas)
tel /twamp/ipsec/sas >"$LOG/sas.json" 2>>"$LOG/steps"
for sa in in:0x00002001 out:0x00001001 in:0x00002002 out:0x00001002; do
  tel "/twamp/ipsec/sa,$sa" >"$LOG/$sa.json" 2>>"$LOG/steps"
done
check "telemetry lists the 4 SAs" \
  "$PY" -c "import json; assert sorted(json.load(open('$LOG/sas.json'))['/twamp/ipsec/sas']) == sorted(['in:0x00002001', 'out:0x00001001', 'in:0x00002002', 'out:0x00001002'])"
check "SA in 0x2001: 12 packets (10 answered, 2 from martian inner sources)" \
  test "$(jq_sa in:0x00002001 packets)" = 12
check "SA in 0x2001: the 2 from 224.0.0.9 and 255.255.255.255 counted inner_drop" \
  test "$(jq_sa in:0x00002001 inner_drop)" = 2
check "SA in 0x2001: 1 replay dropped, 1 ICV failure" \
  sh -c "[ $(jq_sa in:0x00002001 replay_drop) = 1 ] && [ $(jq_sa in:0x00002001 auth_fail) = 1 ]"
check "SA out 0x1001: 10 packets" test "$(jq_sa out:0x00001001 packets)" = 10
check "SA in 0x2002: 12 packets (2 from ff02::1 and ::1), 1 replay, 1 ICV failure" \
  sh -c "[ $(jq_sa in:0x00002002 packets) = 12 ] && [ $(jq_sa in:0x00002002 replay_drop) = 1 ] && [ $(jq_sa in:0x00002002 auth_fail) = 1 ]"
check "SA in 0x2002: the 2 from ff02::1 and ::1 counted inner_drop" \
  test "$(jq_sa in:0x00002002 inner_drop)" = 2
check "SA out 0x1002: 10 packets" test "$(jq_sa out:0x00001002 packets)" = 10
check "telemetry never shows keys" sh -c "! cat '$LOG'/*:0x*.json | grep -qi '${GCM_KEY:0:16}\|${CBC_KEY:0:16}\|${SHA_KEY:0:16}\|key'"

# The DS field across the tunnel (RFC 4301 §5.1.2.1, RFC 6040), after the
# counts above: the replies' outer DS field is their inner one; the
# reflector (STAMP Class of Service TLV) sees the outer CE / ECT(1) mark;
# outer CE over a Not-ECT packet is dropped and counted (ecn_drop)
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V4 $DUT_V4 $P_LIGHT --proto light \
  --spi-in 0x2001 --spi-out 0x1001 --cipher AES-GCM --ckey $GCM_KEY --ckey-out $GCM_KEY_OUT --udp \
  --tos 40 --stamp-port $P_STAMP
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V6 $DUT_V6 $P_STAMP --proto stamp \
  --spi-in 0x2002 --spi-out 0x1002 --cipher AES-CBC --ckey $CBC_KEY \
  --auth SHA2-256-128 --akey $SHA_KEY --akey-out $SHA_KEY_OUT --ckey-out $CBC_KEY_OUT \
  --tos 40 --stamp-port $P_STAMP
for sa in in:0x00002001 in:0x00002002 out:0x00001001; do
  tel "/twamp/ipsec/sa,$sa" >"$LOG/$sa.json" 2>>"$LOG/steps"
done
tel /twamp/ipsec/stats >"$LOG/stats.json" 2>>"$LOG/steps"
check "SA in 0x2001, in 0x2002: the packet with outer CE over Not-ECT counted as ecn_drop (1 each)" \
  sh -c "[ $(jq_sa in:0x00002001 ecn_drop) = 1 ] && [ $(jq_sa in:0x00002002 ecn_drop) = 1 ]"
check "telemetry: out 0x1001 builds its outer DSCP by copy; /twamp/ipsec/stats in_ecn_drop 2" \
  sh -c "[ $(jq_sa out:0x00001001 outer_dscp) = copy ] && $PY -c \"import json; assert json.load(open('$LOG/stats.json'))['/twamp/ipsec/stats']['in_ecn_drop'] == 2\""

stop_pids "$APP"
wait "$APP" 2>/dev/null; rc=$?
APP=0
check "SIGTERM: twamp-dp exits 0 (got $rc)" test "$rc" -eq 0

# Again with the same SAs but: replay_window 0 on the IPv6 inbound SA
# (RFC 4303 §3.4.3: the receiver may skip the check; what
# scripts/bench-ipsec.sh needs for net_pcap replay), so a replay is answered
# there; esn: true on the IPv4 pair (scapy's AES-GCM ESN AAD, RFC 4106 §5;
# scapy 2.5 leaves the high bits out of ESP HMACs, so not the CBC pair),
# whose default window still drops a replay.
sed -e 's/cipher_key: gcm-\(in\|out\)}/cipher_key: gcm-\1, esn: true}/' \
  -e 's/auth_key: sha-in}/auth_key: sha-in, replay_window: 0}/' \
  -e 's/auth_key: sha-out}/auth_key: sha-out, outer_dscp: 10}/' "$LOG/ipsec.yaml" \
  >"$LOG/noreplay.yaml"
check "esn (IPv4 pair) and replay_window 0 (IPv6 in) in the configuration" \
  sh -c "grep -q 'sha-in, replay_window: 0}' '$LOG/noreplay.yaml' && [ \$(grep -c 'esn: true}' '$LOG/noreplay.yaml') = 2 ]"
start_dp "$LOG/noreplay.yaml" "twamp-dp starts with replay_window 0 on SA in 0x2002, ESN on 0x2001/0x1001"
check "start-up warns that replay protection is off for SPI 0x2002" \
  grep -q "ipsec.sas\[2\]: SPI 0x2002: warning: replay_window 0, replay protection is off" "$LOG/app.err"
check "no such warning for SPI 0x2001 (default window)" sh -c "! grep -q 'SPI 0x2001: warning' '$LOG/app.err'"
# the restarted port answers (as dut_mac checked before the first run)
check "ping $DUT_V4 through the TAP after the restart" peer ping -c 2 -i 0.2 -W 2 "$DUT_V4"
check "ping $DUT_V6 through the TAP after the restart" peer ping -6 -c 2 -i 0.2 -W 2 "$DUT_V6"
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V4 $DUT_V4 $P_LIGHT --proto light \
  --spi-in 0x2001 --spi-out 0x1001 --cipher AES-GCM --ckey $GCM_KEY --ckey-out $GCM_KEY_OUT --udp \
  --count 5 --esn
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V6 $DUT_V6 $P_STAMP --proto stamp \
  --spi-in 0x2002 --spi-out 0x1002 --cipher AES-CBC --ckey $CBC_KEY \
  --auth SHA2-256-128 --akey $SHA_KEY --akey-out $SHA_KEY_OUT --ckey-out $CBC_KEY_OUT --count 5 \
  --no-replay
for sa in in:0x00002001 in:0x00002002; do
  tel "/twamp/ipsec/sa,$sa" >"$LOG/$sa.json" 2>>"$LOG/steps"
done
check "SA in 0x2001 (ESN, window 64): 5 packets, 1 replay dropped, esn 1 in telemetry" \
  sh -c "[ $(jq_sa in:0x00002001 packets) = 5 ] && [ $(jq_sa in:0x00002001 replay_drop) = 1 ] && [ $(jq_sa in:0x00002001 esn) = 1 ]"
check "SA in 0x2002 (window 0): 6 packets, the replay among them, no replay drop" \
  sh -c "[ $(jq_sa in:0x00002002 packets) = 6 ] && [ $(jq_sa in:0x00002002 replay_drop) = 0 ]"
# outer_dscp: 10 on the IPv6 outbound SA (RFC 4301 §5.1.2.1: the
# encapsulator's mapping): outer DSCP 10 whatever the inner one, ECN copied
relay peer "$PY" "$PEERPY" check $PEER_IF "$MAC" $PEER_V6 $DUT_V6 $P_STAMP --proto stamp \
  --spi-in 0x2002 --spi-out 0x1002 --cipher AES-CBC --ckey $CBC_KEY \
  --auth SHA2-256-128 --akey $SHA_KEY --akey-out $SHA_KEY_OUT --ckey-out $CBC_KEY_OUT \
  --tos 40 --stamp-port $P_STAMP --outer-dscp 10
tel "/twamp/ipsec/sa,out:0x00001002" >"$LOG/out:0x00001002.json" 2>>"$LOG/steps"
check "telemetry: out 0x1002 shows outer_dscp 10" test "$(jq_sa out:0x00001002 outer_dscp)" = 10
stop_pids "$APP"
wait "$APP" 2>/dev/null; rc=$?
APP=0
check "SIGTERM: twamp-dp exits 0 (got $rc)" test "$rc" -eq 0
finish
