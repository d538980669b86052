#!/usr/bin/env bash
# The seed draft's profile (ipsec.ikev2.profile: draft; docs/protocol.md)
# end to end: twamp-dp in the dut namespace with key import, an IKE SA
# (with skeyseed) and a Child SA pair (with keymat and keys) pushed with
# `twamp-ctl key add`; twamp-ping in the peer namespace with the same SAs
# as the peer sees them (--ike-keys). Every variant (base with SKEYSEED,
# base with KEYMAT and the per-SID key, Alternative 1 with both secrets,
# Alternative 2), TWAMP auth/enc/mixed and OWAMP auth/enc: every packet
# back. Negative: a client whose SA has other SPIs closes and says why (no
# session on the appliance); a wrong SKEYSEED gives Accept 1; without the
# Child SA the greeting has no IKEv2 bit. tshark decodes the control
# stream: the greeting's Modes, its Unused octets (Protocol and SPIs) and
# Count (0 in the Alternatives). Prints TAP; needs root.
#
#   tests/integration/test_ike_draft.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
PING="$BUILD/app/twamp-ping/twamp-ping"
CTL="$BUILD/app/twamp-ctl/twamp-ctl"
PY=/usr/bin/python3
TESTBED="$top/scripts/testbed.sh"
TOOL="$top/tests/integration/peer_tool.py"
export TW_TB=dr$(($$ % 100000))
DUT_NS=$TW_TB-dut PEER_NS=$TW_TB-peer PEER_IF=$TW_TB-peer0
DUT=198.18.0.1 PEER=198.18.0.2 DUT6=2001:2::1 PEER6=2001:2::2
PREFIX=dr-ike-$$
TEL=/var/run/dpdk/$PREFIX/dpdk_telemetry.v2
COUNT=20
APP=0 CAP=0
LOG=$(mktemp -d /tmp/dr-ike.XXXXXX)
SOCK=$LOG/keys.sock
# shellcheck source=tests/integration/tap_lib.sh
. "$top/tests/integration/tap_lib.sh"

peer() { ip netns exec $PEER_NS "$@"; }
cleanup() {
  dp_stop
  stop_pids "$CAP"
  "$TESTBED" down >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$LOG" "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ] || [ ! -x "$DP" ] || [ ! -x "$PING" ] || [ ! -x "$CTL" ] ||
   ! command -v tshark >/dev/null || ! command -v tcpdump >/dev/null; then
  echo "1..1"
  echo "ok 1 - # SKIP needs root, $DP, $PING, $CTL, tshark and tcpdump"
  exit 0
fi

# Test values, not secrets. IKE SA with HMAC-SHA2-256 (32-octet SK_d,
# SKEYSEED and KEYMAT); Child SA ESP AES-CBC-128 + HMAC-SHA2-256-128, SPI
# 0xc1000001 appliance -> peer, 0xc2000002 peer -> appliance.
SPII=8a1f3c0e5b6d7a29 SPIR=3c94e17a00b2d4f1
SKD=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
SKS=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf
SKS_BAD=00a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf
KM=5f5e5d5c5b5a595857565554535251504f4e4d4c4b4a49484746454443424140
SPO=c1000001 SPI=c2000002 SPO6=c1000061 SPI6=c2000062
KO=11111111111111111111111111111111 AO=2222222222222222222222222222222222222222222222222222222222222222
KI=33333333333333333333333333333333 AI=4444444444444444444444444444444444444444444444444444444444444444

ike() { # LOCAL REMOTE ROLE SKEYSEED
  echo "ike-up spi-i=$SPII spi-r=$SPIR prf=5 sk-d=$SKD skeyseed=$4 local=$1 remote=$2 local-id=$1 remote-id=$2 role=$3"
}
child() { # SPI DIR PEER-SPI SRC DST ENCR-KEY INTEG-KEY
  echo "child-add spi=$1 dir=$2 peer-spi=$3 proto=esp mode=transport src=$4 dst=$5 encap=none encr=12 encr-keylen=128 encr-key=$6 integ=12 integ-key=$7 ts-local=$4/32 ts-remote=$5/32 ike-spi-i=$SPII ike-spi-r=$SPIR keymat=$KM"
}
# the appliance's records (it is the responder), pushed with twamp-ctl
DUT_IKE=$(ike $DUT $PEER responder $SKS)
DUT_OUT=$(child $SPO out $SPI $DUT $PEER $KO $AO)
DUT_IN=$(child $SPI in $SPO $PEER $DUT $KI $AI | sed "s|ts-local=$PEER/32 ts-remote=$DUT/32|ts-local=$DUT/32 ts-remote=$PEER/32|")
# an IPv6 Child SA pair of the same IKE SA (the lookup is by the two ends)
DUT_OUT6=$(child $SPO6 out $SPI6 $DUT6 $PEER6 $KO $AO | sed 's|/32|/128|g')
DUT_IN6=$(child $SPI6 in $SPO6 $PEER6 $DUT6 $KI $AI |
  sed "s|ts-local=$PEER6/32 ts-remote=$DUT6/32|ts-local=$DUT6/128 ts-remote=$PEER6/128|")
umask 077
# the peer's view of the same SAs
{
  echo "# the IKE SA and Child SA shared with the appliance (docs/key-import.md)"
  ike $PEER $DUT initiator $SKS
  child $SPI out $SPO $PEER $DUT $KI $AI
  child $SPO in $SPI $DUT $PEER $KO $AO | sed "s|ts-local=$DUT/32 ts-remote=$PEER/32|ts-local=$PEER/32 ts-remote=$DUT/32|"
  child $SPI6 out $SPO6 $PEER6 $DUT6 $KI $AI | sed 's|/32|/128|g'
  child $SPO6 in $SPI6 $DUT6 $PEER6 $KO $AO |
    sed "s|ts-local=$DUT6/32 ts-remote=$PEER6/32|ts-local=$PEER6/128 ts-remote=$DUT6/128|"
} >"$LOG/peer.rec"
# the same with another SKEYSEED, and with other SPIs
sed "s/skeyseed=$SKS/skeyseed=$SKS_BAD/" "$LOG/peer.rec" >"$LOG/badkey.rec"
sed "s/$SPO/c1000077/g" "$LOG/peer.rec" >"$LOG/otherspi.rec"

# twamp-ping's own checks need no server
"$PING" -m auth --ike-variant alt1 --ike-keys "$LOG/peer.rec" $DUT >/dev/null 2>"$LOG/u.err"; rc=$?
check "--ike-variant without --ike-profile draft: exit 2 (got $rc)" test $rc -eq 2
"$PING" -m auth --ike-profile draft --ike-variant alt2 --ike-secret keymat \
  --ike-keys "$LOG/peer.rec" $DUT >/dev/null 2>"$LOG/u.err"; rc=$?
check "--ike-secret with alt2: exit 2 (got $rc), says why" \
  sh -c "[ $rc -eq 2 ] && grep -q 'it has no secret' '$LOG/u.err'"
"$PING" -m auth --ike-profile draft --ike-keys "$LOG/peer.rec" 192.0.2.7 >/dev/null \
  2>"$LOG/u.err"; rc=$?
check "no Child SA pair to the server: exit 1 (got $rc), says so" \
  sh -c "[ $rc -eq 1 ] && grep -q 'no Child SA pair' '$LOG/u.err'"
umask 022

# key add|del RECORD...: twamp-ctl, one record per line on its stdin
key() { local sub=$1; shift; printf '%s\n' "$@" | "$CTL" -k "$SOCK" key "$sub" -; }
accepted() { # sessions_accepted of /twamp/ctrl/stats
  "$PY" "$TOOL" telemetry "$TEL" /twamp/ctrl/stats 2>/dev/null |
    "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("/twamp/ctrl/stats", d)["sessions_accepted"])'
}

# start_dp VARIANT-MAP: twamp-dp with ipsec.ikev2 = {profile: draft, ...}
start_dp() {
  dp_stop
  rm -f "$SOCK"
  cat >"$LOG/twamp-dp.yaml" <<EOF
eal: [--no-huge, -m, "256", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: refl
    device: net_af_packet0,iface=$TW_TB-dut
    ipv4: [$DUT/24]
    ipv6: ["$DUT6/64"]
workers:
  lcores: [1]
reflector:
  control:
    listen: ["$DUT:862", "[$DUT6]:862"]
    modes: [auth, enc, mixed, ikev2]
ipsec:
  key_import: {socket: $SOCK}
  ikev2: {profile: draft, $1}
EOF
  ip netns exec $DUT_NS "$DP" -c "$LOG/twamp-dp.yaml" --idle-us 100 2>"$LOG/app.err" &
  APP=$!
  for _ in $(seq 1 200); do
    grep -q "twamp-dp: running:" "$LOG/app.err" 2>/dev/null && [ -S "$SOCK" ] && break
    kill -0 "$APP" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q "twamp-dp: running:" "$LOG/app.err" && [ -S "$SOCK" ]; then
    ok "twamp-dp ($1) starts and serves the key-import socket"
  else
    notok "twamp-dp ($1) starts and serves the key-import socket"
    sed 's/^/# /' "$LOG/app.err" | tail -5
    return 1
  fi
  peer ping -c 1 -W 2 $DUT >/dev/null 2>&1
  peer ping -6 -c 1 -W 2 $DUT6 >/dev/null 2>&1
  return 0
}

run() { # LABEL MODE-WORD ARGS... (to $DST, default the IPv4 address)
  local label=$1 word=$2 out="$LOG/$1" rc
  shift 2
  peer "$PING" -c $COUNT -i 0.005 -L 1 --json "$out.json" "$@" ${DST:-$DUT} >"$out.txt" 2>"$out.err"
  rc=$?
  check "$label: exit 0 (got $rc)" test $rc -eq 0
  [ $rc -eq 0 ] || sed 's/^/# /' "$out.err" | tail -3
  check "$label: $COUNT sent, $COUNT received, none rejected, mode $word" \
    results_ok "$out.json" $COUNT "$word"
}
capture_start() {
  rm -f "$LOG/cap.pcap" "$LOG/tcpdump.err"
  ip netns exec $PEER_NS tcpdump -i $PEER_IF --immediate-mode -U -w "$LOG/cap.pcap" \
    tcp port 862 2>"$LOG/tcpdump.err" &
  CAP=$!
  for _ in $(seq 1 50); do grep -q listening "$LOG/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
}
capture_stop() {
  sleep 0.3
  stop_pids "$CAP"
  wait "$CAP" 2>/dev/null
  CAP=0
  tshark -r "$LOG/cap.pcap" -Y twamp.control.modes -T fields -E separator=, \
    -e twamp.control.unused -e twamp.control.modes -e twamp.control.count \
    -e twamp.control.challenge >"$LOG/greeting.csv" 2>"$LOG/tshark.err"
}
# greeting_is UNUSED MODES COUNT [CHALLENGE]: what tshark shows of the greeting
greeting_is() {
  local line
  line=$(head -1 "$LOG/greeting.csv")
  echo "tshark: $line"
  case $line in "$1,$2,$3"*) ;; *) return 1 ;; esac
  [ -z "${4:-}" ] || [ "${line##*,}" = "$4" ]
}
UNUSED=32000000${SPI}${SPO}   # ESP (50 = 0x32), MBZ, server in / server out

"$TESTBED" down >/dev/null 2>&1
check "test bed up" "$TESTBED" up

# ---- base variant, SKEYSEED
if start_dp "variant: base, secret: skeyseed"; then
  check "twamp-dp offers ikev2 with the draft profile, and no 'not served' warning" \
    sh -c "grep -q 'mode ikev2 (seed draft profile, variant base, secret skeyseed)' '$LOG/app.err' &&
           ! grep -q 'not served' '$LOG/app.err'"
  # no Child SA yet: no IKEv2 bit, twamp-ping says why
  check "the IKE SA (with skeyseed) added by twamp-ctl key add" key add "$DUT_IKE"
  peer "$PING" -m auth -c 2 --ike-profile draft --ike-keys "$LOG/peer.rec" $DUT \
    >/dev/null 2>"$LOG/nochild.err"; rc=$?
  check "no Child SA on the appliance: exit 1 (got $rc), no IKEv2 bit offered" \
    sh -c "[ $rc -eq 1 ] && grep -q 'no IKEv2 bit' '$LOG/nochild.err'"
  check "the Child SA pair (with keymat) added by twamp-ctl key add" \
    key add "$DUT_OUT" "$DUT_IN" "$DUT_OUT6" "$DUT_IN6"
  capture_start
  run base-twamp-auth auth -m auth --ike-profile draft --ike-keys "$LOG/peer.rec"
  capture_stop
  check "tshark: base greeting: Unused = ESP | SPIs, Modes 510 (auth, enc, mixed, IKEv2 and the options), Count 2048" \
    greeting_is "$UNUSED" 510 2048
  run base-twamp-enc enc -m enc --ike-profile draft --ike-keys "$LOG/peer.rec"
  DST=$DUT6 run base-twamp-auth-v6 auth -m auth --ike-profile draft --ike-keys "$LOG/peer.rec"
  run base-twamp-mixed mixed -m mixed --ike-profile draft --ike-keys "$LOG/peer.rec"
  run base-owamp-auth auth --owamp -m auth --ike-profile draft --ike-keys "$LOG/peer.rec"
  run base-owamp-enc enc --owamp -m enc --ike-profile draft --ike-keys "$LOG/peer.rec"
  # a client whose SA has other SPIs: it closes, says why, no session
  before=$(accepted)
  peer "$PING" -m auth -c 2 --ike-profile draft --ike-keys "$LOG/otherspi.rec" $DUT \
    >/dev/null 2>"$LOG/otherspi.err"; rc=$?
  check "other SPIs: exit 1 (got $rc), the mismatch named, closed (seed draft: MUST close)" \
    sh -c "[ $rc -eq 1 ] && grep -q 'Server Greeting binds ESP SPIs 0xc2000002 (to server) / 0xc1000001 (from server), our SA is ESP 0xc2000002 / 0xc1000077' '$LOG/otherspi.err' &&
           grep -q 'MUST close' '$LOG/otherspi.err'"
  sed 's/^/# /' "$LOG/otherspi.err" | head -2
  sleep 0.2
  after=$(accepted)
  check "other SPIs: the appliance saw the client close before a Set-Up-Response, no session ($before -> $after)" \
    sh -c "[ -n '$before' ] && [ '$before' = '$after' ] &&
           grep 'closed:' '$LOG/app.err' | tail -1 | grep -q 'closed: peer_closed'"
  # a wrong SKEYSEED: the Token does not decrypt
  peer "$PING" -m enc -c 2 --ike-profile draft --ike-keys "$LOG/badkey.rec" $DUT \
    >/dev/null 2>"$LOG/badkey.err"; rc=$?
  check "wrong SKEYSEED: exit 1 (got $rc), Accept 1" \
    sh -c "[ $rc -eq 1 ] && grep -q 'Accept 1 ' '$LOG/badkey.err'"
  check "keys never appear in twamp-dp's log" \
    sh -c "! grep -qi -e $SKS -e $KM -e $KO -e $KI '$LOG/app.err'"
fi

# ---- base variant, KEYMAT, per-SID key
if start_dp "variant: base, secret: keymat, sid_key: true"; then
  check "IKE SA and Child SA pair added" key add "$DUT_IKE" "$DUT_OUT" "$DUT_IN" "$DUT_OUT6" "$DUT_IN6"
  run base-keymat-sid-twamp-enc enc -m enc --ike-profile draft --ike-secret keymat \
    --ike-sid-key --ike-keys "$LOG/peer.rec"
  run base-keymat-sid-owamp-auth auth --owamp -m auth --ike-profile draft --ike-secret keymat \
    --ike-sid-key --ike-keys "$LOG/peer.rec"
  peer "$PING" -m auth -c 4 -i 0.005 -L 1 --json "$LOG/nosid.json" --ike-profile draft \
    --ike-secret keymat --ike-keys "$LOG/peer.rec" $DUT >/dev/null 2>"$LOG/nosid.err"
  check "without --ike-sid-key against a sid_key server: the reflector answers none" \
    "$PY" -c 'import json,sys; p=json.load(open(sys.argv[1]))["packets"]; assert p["sent"] == 4 and p["received"] == 0, p' \
    "$LOG/nosid.json"
fi

# ---- Alternative 1, SKEYSEED and KEYMAT
for sec in skeyseed keymat; do
  start_dp "variant: alt1, secret: $sec" || continue
  check "IKE SA and Child SA pair added (alt1, $sec)" key add "$DUT_IKE" "$DUT_OUT" "$DUT_IN" "$DUT_OUT6" "$DUT_IN6"
  [ $sec = skeyseed ] && capture_start
  run alt1-$sec-twamp-auth auth -m auth --ike-profile draft --ike-variant alt1 \
    --ike-secret $sec --ike-keys "$LOG/peer.rec"
  if [ $sec = skeyseed ]; then
    capture_stop
    check "tshark: Alternative 1 greeting: the binding, Modes 510, Count 0 (no Salt/Count)" \
      greeting_is "$UNUSED" 510 0
  fi
  run alt1-$sec-twamp-enc enc -m enc --ike-profile draft --ike-variant alt1 \
    --ike-secret $sec --ike-keys "$LOG/peer.rec"
  run alt1-$sec-owamp-enc enc --owamp -m enc --ike-profile draft --ike-variant alt1 \
    --ike-secret $sec --ike-keys "$LOG/peer.rec"
  if [ $sec = skeyseed ]; then
    peer "$PING" -m auth -c 2 --ike-profile draft --ike-variant alt1 \
      --ike-keys "$LOG/badkey.rec" $DUT >/dev/null 2>"$LOG/alt1bad.err"; rc=$?
    check "alt1, wrong root key: exit 1 (got $rc), Accept 1" \
      sh -c "[ $rc -eq 1 ] && grep -q 'Accept 1 ' '$LOG/alt1bad.err'"
    peer "$PING" -m auth -c 2 --ike-profile draft --ike-keys "$LOG/peer.rec" $DUT \
      >/dev/null 2>"$LOG/alt1base.err"; rc=$?
    check "a base-variant client against alt1: exit 1 (got $rc), the greeting is refused" \
      sh -c "[ $rc -eq 1 ] && grep -q 'Server Greeting (seed draft, base)' '$LOG/alt1base.err'"
  fi
done

# ---- Alternative 2: the Child SA's own keys
if start_dp "variant: alt2"; then
  check "IKE SA and Child SA pair added (alt2)" key add "$DUT_IKE" "$DUT_OUT" "$DUT_IN" "$DUT_OUT6" "$DUT_IN6"
  capture_start
  run alt2-twamp-enc enc -m enc --ike-profile draft --ike-variant alt2 --ike-keys "$LOG/peer.rec"
  capture_stop
  check "tshark: Alternative 2 greeting: the binding, Modes 510, Count 0, Challenge 0" \
    greeting_is "$UNUSED" 510 0 00000000000000000000000000000000
  run alt2-twamp-auth auth -m auth --ike-profile draft --ike-variant alt2 --ike-keys "$LOG/peer.rec"
  DST=$DUT6 run alt2-owamp-enc-v6 enc --owamp -m enc --ike-profile draft --ike-variant alt2 \
    --ike-keys "$LOG/peer.rec"
  run alt2-twamp-mixed mixed -m mixed --ike-profile draft --ike-variant alt2 --ike-keys "$LOG/peer.rec"
  run alt2-owamp-auth auth --owamp -m auth --ike-profile draft --ike-variant alt2 \
    --ike-keys "$LOG/peer.rec"
  # after child-del: no binding, no IKEv2 bit
  check "Child SA pair deleted" key del "child-del spi=$SPI dir=in proto=esp dst=$DUT"
  peer "$PING" -m auth -c 2 --ike-profile draft --ike-variant alt2 --ike-keys "$LOG/peer.rec" \
    $DUT >/dev/null 2>"$LOG/gone.err"; rc=$?
  check "after child-del: exit 1 (got $rc), no IKEv2 bit" \
    sh -c "[ $rc -eq 1 ] && grep -q 'no IKEv2 bit' '$LOG/gone.err'"
fi
dp_stop
finish
