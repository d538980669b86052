#!/usr/bin/env bash
# RFC 7717 (IKEv2-derived keys) end to end: twamp-dp in the dut namespace
# with key import (ipsec.key_import.socket) and reflector.control.modes
# including ikev2; IKE SA records pushed over the key-import socket by a
# raw client (a strongSwan plugin would send the same lines); twamp-ping
# in the peer namespace with --ike-keys (the same IKE SA as seen from the
# peer), TWAMP auth/enc/mixed and OWAMP, both token-key readings' refusal,
# unknown SPIs (Accept 6), a rekey and a delete. Prints TAP; needs root.
#
#   tests/integration/test_ike.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
PING="$BUILD/app/twamp-ping/twamp-ping"
PY=/usr/bin/python3
TESTBED="$top/scripts/testbed.sh"
TOOL="$top/tests/integration/peer_tool.py"
export TW_TB=ike$(($$ % 100000))
DUT_NS=$TW_TB-dut PEER_NS=$TW_TB-peer
DUT_V4=198.18.0.1 DUT_V6=2001:2::1 PEER_V4=198.18.0.2 PEER_V6=2001:2::2
PREFIX=tw-ike-$$
TEL=/var/run/dpdk/$PREFIX/dpdk_telemetry.v2
COUNT=20
APP=0
LOG=$(mktemp -d /tmp/tw-ike.XXXXXX)
SOCK=$LOG/keys.sock
# shellcheck source=tests/integration/tap_lib.sh
. "$top/tests/integration/tap_lib.sh"

peer() { ip netns exec $PEER_NS "$@"; }
cleanup() {
  dp_stop
  "$TESTBED" down >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$LOG" "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ] || [ ! -x "$DP" ] || [ ! -x "$PING" ]; then
  echo "1..1"
  echo "ok 1 - # SKIP needs root, $DP and $PING"
  exit 0
fi

# Two IKE SAs with the peer (test values, not secret): SA1 with
# HMAC-SHA2-256 given as SK_d (twamp-dp derives prf(SK_d, "IPPM")), SA2 the
# rekeyed one with HMAC-SHA1; the peer's file carries the same SAs.
SPI1I=8a1f3c0e5b6d7a29 SPI1R=3c94e17a00b2d4f1
SPI2I=51c0de2277aa9031 SPI2R=e0f1a2b3c4d5e6f7
SKD1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
SKD2=f0e1d2c3b4a5968778695a4b3c2d1e0f00112233
ike_rec() { # VERB SPII SPIR PRF SKD LOCAL REMOTE ROLE [extra]
  echo "$1 spi-i=$2 spi-r=$3 prf=$4 sk-d=$5 local=$6 remote=$7 local-id=$6 remote-id=$7 role=$8${9:+ $9}"
}

# push LINE...: one key-import session (hello, the lines, bye); prints the
# replies, fails unless every record is answered ok
push() {
  "$PY" - "${PUSH_SOCK:-$SOCK}" "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
lines = ["hello versions=1 agent=test_ike source=test"] + sys.argv[2:] + ["bye"]
s.sendall("".join(l + "\n" for l in lines).encode())
buf = b""
while buf.count(b"\n") < len(lines):
    d = s.recv(4096)
    if not d:
        break
    buf += d
replies = buf.decode().splitlines()
print("\n".join(replies))
sys.exit(0 if len(replies) == len(lines) and all(r.startswith("ok") for r in replies) else 1)
EOF
}

umask 077
cat >"$LOG/twamp-dp.yaml" <<EOF
eal: [--no-huge, -m, "256", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: refl
    device: net_af_packet0,iface=$TW_TB-dut
    ipv4: [$DUT_V4/24]
    ipv6: ["$DUT_V6/64"]
workers:
  lcores: [1]
reflector:
  control:
    listen: ["$DUT_V4:862", "[$DUT_V6]:862"]
    modes: [auth, enc, mixed, ikev2]
ipsec:
  key_import: {socket: $SOCK}
  ikev2: {profile: rfc7717, token_key: pbkdf2}
EOF
# the peer's view of the same SAs (it is the IKE initiator)
{
  echo "# IKE SAs shared with the appliance (docs/key-import.md records)"
  ike_rec ike-up $SPI1I $SPI1R 5 $SKD1 $PEER_V4 $DUT_V4 initiator
  ike_rec ike-up $SPI1I $SPI1R 5 $SKD1 $PEER_V6 $DUT_V6 initiator |
    sed "s/spi-i=$SPI1I/spi-i=${SPI1I%??}01/"
} >"$LOG/peer1.rec"
ike_rec ike-up 0123456789abcdef fedcba9876543210 5 $SKD1 $PEER_V4 $DUT_V4 initiator \
  >"$LOG/unknown.rec"
ike_rec ike-up $SPI2I $SPI2R 2 $SKD2 $PEER_V4 $DUT_V4 initiator >"$LOG/peer2.rec"
echo "ike-up spi-i=zz" >"$LOG/bad.rec"
umask 022

# twamp-ping's own checks need no server
"$PING" -m auth --ike-keys "$LOG/bad.rec" $DUT_V4 >/dev/null 2>"$LOG/bad.err"; rc=$?
check "a malformed record: exit 1 (got $rc) with its line and the err reply" \
  sh -c "[ $rc -eq 1 ] && grep -q 'line 1: record refused: err 4' '$LOG/bad.err'"
"$PING" -m auth --ike-keys "$LOG/peer2.rec" 192.0.2.7 >/dev/null 2>"$LOG/nosa.err"; rc=$?
check "no IKE SA for the server's address: exit 1 (got $rc), says so" \
  sh -c "[ $rc -eq 1 ] && grep -q 'no IKE SA with remote=192.0.2.7' '$LOG/nosa.err'"
"$PING" --ike-keys "$LOG/peer2.rec" $DUT_V4 >/dev/null 2>"$LOG/open.err"; rc=$?
check "--ike-keys in open mode: exit 2 (got $rc)" test $rc -eq 2

"$TESTBED" down >/dev/null 2>&1
check "test bed up" "$TESTBED" up
ip netns exec $DUT_NS "$DP" -c "$LOG/twamp-dp.yaml" --idle-us 100 2>"$LOG/app.err" &
APP=$!
for _ in $(seq 1 200); do
  grep -q "twamp-dp: running:" "$LOG/app.err" 2>/dev/null && [ -S "$SOCK" ] && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.1
done
if grep -q "twamp-dp: running:" "$LOG/app.err" && [ -S "$SOCK" ]; then
  ok "twamp-dp starts and serves the key-import socket"
else
  notok "twamp-dp starts and serves the key-import socket"
  sed 's/^/# /' "$LOG/app.err" | tail -5
  finish
  exit 1
fi
check "twamp-dp says it offers ikev2 (RFC 7717) while it holds an IKE SA" \
  grep -q "mode ikev2 (RFC 7717, token key pbkdf2) offered" "$LOG/app.err"
peer ping -c 1 -W 2 $DUT_V4 >/dev/null 2>&1
peer ping -6 -c 1 -W 2 $DUT_V6 >/dev/null 2>&1

# no IKE SA yet: the greeting lacks the bit, twamp-ping says why
peer "$PING" -m auth -c 2 --ike-keys "$LOG/peer1.rec" $DUT_V4 >/dev/null 2>"$LOG/none.err"; rc=$?
check "before any ike-up: exit 1 (got $rc), server offers no IKEv2Derived" \
  sh -c "[ $rc -eq 1 ] && grep -q 'no IKEv2Derived' '$LOG/none.err'"

# the appliance's view: it is the responder
check "ike-up records accepted on the key-import socket" push \
  "$(ike_rec ike-up $SPI1I $SPI1R 5 $SKD1 $DUT_V4 $PEER_V4 responder)" \
  "$(ike_rec ike-up ${SPI1I%??}01 $SPI1R 5 $SKD1 $DUT_V6 $PEER_V6 responder)"

run() { # LABEL DST MODE-WORD ARGS...
  local label=$1 dst=$2 word=$3 out
  shift 3
  out="$LOG/$label-${dst//:/_}"
  peer "$PING" -c $COUNT -i 0.005 -L 1 --json "$out.json" "$@" $dst >"$out.txt" 2>"$out.err"
  local rc=$?
  check "$label to $dst: exit 0 (got $rc)" test $rc -eq 0
  [ $rc -eq 0 ] || sed 's/^/# /' "$out.err" | tail -3
  check "$label to $dst: $COUNT sent, $COUNT received, none rejected, mode $word" \
    results_ok "$out.json" $COUNT "$word"
}
for dst in $DUT_V4 $DUT_V6; do
  run twamp-ikev2-auth $dst auth -m auth --ike-keys "$LOG/peer1.rec"
  run twamp-ikev2-enc $dst enc -m enc --ike-keys "$LOG/peer1.rec"
done
run twamp-ikev2-mixed $DUT_V4 mixed -m mixed --ike-keys "$LOG/peer1.rec"
run owamp-ikev2-auth $DUT_V4 auth --owamp -m auth --ike-keys "$LOG/peer1.rec"
run owamp-ikev2-enc $DUT_V6 enc --owamp -m enc --ike-keys "$LOG/peer1.rec"

# --ike-socket: twamp-ping serves key import until the IKE SA is pushed
out="$LOG/sock"
peer "$PING" -m enc -c $COUNT -i 0.005 -L 1 --json "$out.json" --ike-socket "$LOG/ping.sock" \
  $DUT_V4 >"$out.txt" 2>"$out.err" &
RUN=$!
for _ in $(seq 1 100); do [ -S "$LOG/ping.sock" ] && break; sleep 0.05; done
PUSH_SOCK=$LOG/ping.sock check "records pushed to twamp-ping's --ike-socket" push \
  "$(ike_rec ike-up $SPI1I $SPI1R 5 $SKD1 $PEER_V4 $DUT_V4 initiator)"
wait $RUN; rc=$?
check "twamp-ping --ike-socket: exit 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$out.err" | tail -3
check "twamp-ping --ike-socket: $COUNT sent, $COUNT received, encrypted" \
  results_ok "$out.json" $COUNT enc
check "twamp-ping removed its key-import socket" test ! -e "$LOG/ping.sock"
peer "$PING" -m auth -c 2 --ike-socket "$LOG/ping.sock" --ike-wait 1 $DUT_V4 \
  >/dev/null 2>"$LOG/wait.err"; rc=$?
check "--ike-socket with nothing pushed: exit 1 (got $rc) after --ike-wait, says so" \
  sh -c "[ $rc -eq 1 ] && grep -q 'arrived within 1 s' '$LOG/wait.err'"

# the other token-key reading than the server's is a wrong key: Accept 1
peer "$PING" -m auth -c 2 --ike-token-key direct --ike-keys "$LOG/peer1.rec" $DUT_V4 \
  >/dev/null 2>"$LOG/direct.err"; rc=$?
check "token key direct against a pbkdf2 server: exit 1 (got $rc), Accept 1" \
  sh -c "[ $rc -eq 1 ] && grep -q 'Server-Start): Accept 1 ' '$LOG/direct.err'"
# SPIs the appliance does not know: Accept 6, logged on the appliance
peer "$PING" -m auth -c 2 --ike-keys "$LOG/unknown.rec" $DUT_V4 >/dev/null 2>"$LOG/unk.err"; rc=$?
check "unknown SPIs: exit 1 (got $rc), Accept 6 (no IKEv2 SA)" \
  sh -c "[ $rc -eq 1 ] && grep -q 'Accept 6 (Cannot find the IKEv2 SA)' '$LOG/unk.err'"
check "twamp-dp logs the unknown SPIs (Accept 6)" \
  grep -q "IKEv2Derived: no IKE SA with SPIi 0123456789abcdef SPIr fedcba9876543210 (Accept 6)" \
  "$LOG/app.err"

# wait_running: until twamp-dp's control server has a test session
# installed (the background run got past connection setup)
wait_running() {
  for _ in $(seq 1 100); do
    "$PY" "$TOOL" telemetry "$TEL" /twamp/ctrl/stats 2>/dev/null |
      "$PY" -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["sessions"] >= 1 else 1)' &&
      return 0
    sleep 0.05
  done
  return 1
}

# across WHAT MODE RECFILE RECORD...: a 200-packet run in MODE keyed by
# RECFILE, and RECORDs pushed while it runs; the run must end complete
across() {
  local what=$1 mode=$2 rec=$3 out="$LOG/$1" run rc
  shift 3
  peer "$PING" -m $mode -c 200 -i 0.01 -L 1 --json "$out.json" --ike-keys "$rec" \
    $DUT_V4 >"$out.txt" 2>"$out.err" &
  run=$!
  wait_running
  check "$what accepted mid-test" push "$@"
  wait $run; rc=$?
  check "the test running across the $what: exit 0 (got $rc)" test $rc -eq 0
  [ $rc -eq 0 ] || sed 's/^/# /' "$out.err" | tail -3
  check "the test running across the $what: no loss, none rejected" \
    results_ok "$out.json" 200 $mode
}

# rekey during a running test: the running session goes on with its keys,
# a new one needs the new SA, the old SPIs get Accept 6
across ike-rekey enc "$LOG/peer1.rec" \
  "$(ike_rec ike-rekey $SPI2I $SPI2R 2 $SKD2 $DUT_V4 $PEER_V4 responder \
     "old-spi-i=$SPI1I old-spi-r=$SPI1R")"
run twamp-after-rekey $DUT_V4 auth -m auth --ike-keys "$LOG/peer2.rec"
peer "$PING" -m auth -c 2 --ike-keys "$LOG/peer1.rec" $DUT_V4 >/dev/null 2>"$LOG/old.err"; rc=$?
check "the old SPIs after the rekey: exit 1 (got $rc), Accept 6" \
  sh -c "[ $rc -eq 1 ] && grep -q 'Accept 6 ' '$LOG/old.err'"

# delete during a running test: it goes on; afterwards no IKEv2Derived
across ike-down auth "$LOG/peer2.rec" \
  "ike-down spi-i=$SPI2I spi-r=$SPI2R reason=test" \
  "ike-down spi-i=${SPI1I%??}01 spi-r=$SPI1R reason=test"
peer "$PING" -m auth -c 2 --ike-keys "$LOG/peer2.rec" $DUT_V4 >/dev/null 2>"$LOG/gone.err"; rc=$?
check "after ike-down: exit 1 (got $rc), no IKEv2Derived offered" \
  sh -c "[ $rc -eq 1 ] && grep -q 'no IKEv2Derived' '$LOG/gone.err'"
check "keys never appear in twamp-dp's log" \
  sh -c "! grep -qi -e $SKD1 -e $SKD2 '$LOG/app.err'"
finish
