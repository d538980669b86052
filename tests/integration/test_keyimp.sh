#!/usr/bin/env bash
# Key import end to end (docs/key-import.md): twamp-dp on a net_null port
# (no network, no test bed) serving ipsec.key_import.socket. Records go in
# through `twamp-ctl key add|del|list` (command line and stdin) and through a
# raw socket client that pipelines; checks the socket's mode, a non-root
# peer refused (by the file mode, and by SO_PEERCRED when the mode is
# opened up), exact replies, list output without keys, no key in the log,
# the `twamp-ctl stats` line, and a clean stop that removes the socket.
# Prints TAP; needs root; a few seconds.
#
#   tests/integration/test_keyimp.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
CTL="$BUILD/app/twamp-ctl/twamp-ctl"
PY=/usr/bin/python3
PREFIX=${TW_EAL_PREFIX:-tw-kimp}-$$

SPI_I=8a1f3c0e5b6d7a29 SPI_R=3c94e17a00b2d4f1
NEW_I=51c0de2277aa9031 NEW_R=e0f1a2b3c4d5e6f7
# test keys (not secret); none of them may show up in a reply or the log
IKE_KEY=5d0e11223344556677889900aabbccddeeff00112233445566778899aabbccdd
SKD=77ab00112233445566778899aabbccddeeff00112233445566778899aabbccdd
GCM_KEY=9f0c00112233445566778899aabbccddeeff0011
CBC_KEY=00a1b2c3d4e5f60718293a4b5c6d7e8f
SHA_KEY=4b2e00112233445566778899aabbccddeeff00112233445566778899aabbccdd
# the seed draft's secrets (skeyseed on ike-up, keymat on child-add)
SEED20=5eed00112233445566778899aabbccddeeff5eed
KEYMAT=cafe00112233445566778899aabbccddeeff00112233445566778899aabbcafe

APP=0
LOG=$(mktemp -d /tmp/tw-kimp.XXXXXX)
SOCK="$LOG/keys.sock"

# shellcheck source=tests/integration/tap_lib.sh
. "$top/tests/integration/tap_lib.sh"

cleanup() {
  stop_pids "$APP"
  [ -n "${KEEP:-}" ] || rm -rf "$LOG" "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ] || [ ! -x "$DP" ] || [ ! -x "$CTL" ]; then
  echo "1..1"
  echo "ok 1 - # SKIP needs root, $DP and $CTL"
  exit 0
fi

cat >"$LOG/dp.yaml" <<EOF
eal: [--no-huge, -m, "256", --no-pci, --file-prefix, $PREFIX, -l, "0",
      --vdev, net_null0, --log-level, "lib.eal:notice"]
ports:
  - name: nul0
    device: net_null0
    ipv4: [198.18.0.1/24]
workers:
  lcores: [0]
reflector:
  control: {enabled: false}
ipsec:
  key_import:
    socket: $SOCK
EOF

key() { "$CTL" -k "$SOCK" key "$@"; }
# out FILE WANT: FILE has exactly the text WANT
out() { [ "$(cat "$1")" = "$2" ] || { echo "got:"; cat "$1"; echo "want:"; echo "$2"; false; }; }
# A raw client: hello, then each argument as one line, pipelined; prints
# every reply line. As another user when RAW_USER is set.
raw() {
  local pre=()
  [ -n "${RAW_USER:-}" ] && pre=(setpriv --reuid "$RAW_USER" --regid "$(id -g "$RAW_USER")" --clear-groups)
  "${pre[@]}" "$PY" - "$SOCK" "$@" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect:", e.strerror)
    sys.exit(0)
lines = sys.argv[2:]
try:
    s.sendall("".join(l + "\n" for l in lines).encode())
except OSError:
    pass  # refused and closed by the server: its reply is still readable
buf = b""
want = len(lines)
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
        done = [l for l in buf.split(b"\n")[:-1] if l.startswith((b"ok", b"err"))]
        if len(done) >= want:
            break
except socket.timeout:
    pass
sys.stdout.write(buf.decode())
PYEOF
}

check "configuration passes twamp-dp --check" "$DP" --check "$LOG/dp.yaml"
"$DP" -c "$LOG/dp.yaml" --idle-us 200 2>"$LOG/app.err" &
APP=$!
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
check "twamp-dp serves the key-import socket" grep -q "key import: protocol 1 on $SOCK" "$LOG/app.err"
check "no 'ipsec is not built' warning for key import" bash -c "! grep -q 'ipsec is not built' '$LOG/app.err'"
check "socket is mode 0600, owner root" test "$(stat -c '%F %a %U' "$SOCK")" = "socket 600 root"

IKE_UP="ike-up spi-i=$SPI_I spi-r=$SPI_R prf=5 prf-name=prf-hmac-sha2-256 key=$IKE_KEY local=198.18.0.1 remote=198.18.0.2 local-port=4500 remote-port=4500 local-id=dut.example remote-id=C=CH,%20O=Lab,%20CN=peer role=responder name=meas unique=1"
C_OUT="child-add spi=c2a81f07 dir=out peer-spi=cf3e5a11 proto=esp mode=tunnel src=198.18.0.1 dst=198.18.0.2 encap=udp encap-sport=4500 encap-dport=4500 encr=20 encr-name=aes-gcm-16 encr-keylen=128 encr-key=$GCM_KEY esn=no ts-local=10.1.0.0/24 ts-remote=10.2.0.0/24[17/862-863] ike-spi-i=$SPI_I ike-spi-r=$SPI_R reqid=1 unique=1 name=twamp keymat=$KEYMAT"
C_IN="child-add spi=cf3e5a11 dir=in peer-spi=c2a81f07 proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 encap=udp encap-sport=4500 encap-dport=4500 encr=12 encr-keylen=128 encr-key=$CBC_KEY integ=12 integ-name=hmac-sha2-256-128 integ-key=$SHA_KEY replay-window=64 ts-local=10.1.0.0/24 ts-remote=10.2.0.0/24[17/862-863] ike-spi-i=$SPI_I ike-spi-r=$SPI_R name=twamp keymat=$KEYMAT"

# shellcheck disable=SC2086
key add $IKE_UP >"$LOG/o" 2>&1
check "key add ike-up (command line): ok added" out "$LOG/o" "ok added"
# a quoted argument with spaces is escaped by twamp-ctl
key add ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=2 \
  sk-d=000102030405060708090a0b0c0d0e0f10111213 local=198.18.0.1 remote=198.18.0.3 \
  local-id=dut "remote-id=C=CH, CN=other" role=initiator skeyseed=$SEED20 >"$LOG/o" 2>&1
check "key add with sk-d, skeyseed and a quoted identity: ok added" out "$LOG/o" "ok added"
key add ike-up spi-i=1111111111111111 spi-r=2222222222222222 prf=2 \
  sk-d=000102030405060708090a0b0c0d0e0f10111213 local=198.18.0.1 remote=198.18.0.3 \
  local-id=dut "remote-id=C=CH, CN=other" role=initiator skeyseed=${SEED20}00 >"$LOG/o" 2>&1
check "a skeyseed longer than the PRF output: refused" out "$LOG/o" "err 412 bad-value skeyseed: length 21, need 20"
printf '%s\n' "# Child SA, out before in" "$C_OUT" "$C_IN" | key add - >"$LOG/o" 2>&1
check "key add from stdin (two child-add with keymat): ok added twice" out "$LOG/o" "ok added
ok added"
# shellcheck disable=SC2086
key add $IKE_UP >"$LOG/o" 2>&1
check "a repeated record: ok unchanged" out "$LOG/o" "ok unchanged"
key add child-add spi=cf3e5a12 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 \
  encap=none encr=12 encr-keylen=128 encr-key=$CBC_KEY ts-local=10.1.0.0/24 \
  ts-remote=10.2.0.0/24 >"$LOG/o" 2>&1
rc=$?
check "encryption-only ESP refused (exit $rc)" out "$LOG/o" "err 422 unsupported integ: ESP without integrity is refused"
key add child-add spi=000000ff dir=in proto=ah mode=transport src=198.18.0.2 dst=198.18.0.1 \
  encap=none integ=2 integ-key=1111111111111111111111111111111111111111 \
  ts-local=198.18.0.1/32 ts-remote=198.18.0.2/32 >"$LOG/o" 2>&1
check "reserved SPI refused" out "$LOG/o" "err 412 bad-value spi: 1..255 are reserved"
check "twamp-ctl exits 1 on a refusal" test "$rc" -eq 1
key add child-add spi=0000a000 dir=in proto=esp mode=tunnel src=198.18.0.2 dst=198.18.0.1 \
  encap=none encr=18 encr-keylen=128 encr-key=$GCM_KEY ts-local=10.1.0.0/24 \
  ts-remote=10.2.0.0/24 >"$LOG/o" 2>&1
check "an algorithm the data plane lacks (AES-GCM-8): 422" out "$LOG/o" "err 422 unsupported encr: not available on this system"
"$CTL" -p "$PREFIX" query /twamp/ipsec/stats >"$LOG/ipsec" 2>&1
check "the Child SAs are in the data plane (/twamp/ipsec/stats: 1 in, 1 out)" bash -c "
  grep -q '\"sas_in\": 1' '$LOG/ipsec' && grep -q '\"sas_out\": 1' '$LOG/ipsec'"
key del ike-up spi-i=$SPI_I >"$LOG/o" 2>&1
check "key del refuses an add record" grep -q "key del takes ike-down child-del records" "$LOG/o"

key list >"$LOG/list" 2>&1
check "key list: 4 SAs" grep -qx "4 SA(s)" "$LOG/list"
check "key list shows SPIs, algorithms, addresses, counters" bash -c "
  grep -q 'type=ike source=ctl spi-i=$SPI_I spi-r=$SPI_R prf=5 prf-name=prf-hmac-sha2-256 local=198.18.0.1 remote=198.18.0.2' '$LOG/list' &&
  grep -q 'remote-id=C=CH,%20CN=other' '$LOG/list' &&
  grep -q 'type=child source=ctl spi=c2a81f07 dir=out proto=esp .* encr=20 encr-name=aes-gcm-16 encr-keylen=128 .* packets=0 bytes=0 errors=0' '$LOG/list' &&
  grep -q 'spi=cf3e5a11 dir=in .* integ=12 integ-name=hmac-sha2-256-128' '$LOG/list'"
check "key list shows no key" bash -c "! grep -Eq '$IKE_KEY|$SKD|$GCM_KEY|$CBC_KEY|$SHA_KEY|$SEED20|$KEYMAT|key=|sk-d=|skeyseed=|keymat=' '$LOG/list'"

# raw client, pipelined: rekey moves the children, deletes, exact replies
raw "hello versions=1 agent=test-raw source=raw" \
  "ike-rekey old-spi-i=$SPI_I old-spi-r=$SPI_R spi-i=$NEW_I spi-r=$NEW_R prf=5 sk-d=$SKD local=198.18.0.1 remote=198.18.0.2 local-id=dut.example remote-id=peer.example role=initiator" \
  "child-del spi=cf3e5a11 dir=in proto=esp dst=198.18.0.1 reason=rekeyed" \
  "child-del spi=cf3e5a11 dir=in proto=esp dst=198.18.0.1" \
  "frobnicate spi=1" \
  "list source=raw" \
  "bye" >"$LOG/raw" 2>&1
check "raw client: exact pipelined replies" out "$LOG/raw" "ok version=1
ok added
ok deleted
ok absent
err 401 unknown-record frobnicate
sa type=ike source=raw spi-i=$NEW_I spi-r=$NEW_R prf=5 prf-name=prf-hmac-sha2-256 local=198.18.0.1 remote=198.18.0.2 local-id=dut.example remote-id=peer.example role=initiator generation=3
ok count=1
ok"
raw "ping" >"$LOG/raw" 2>&1
check "raw client: records need hello" out "$LOG/raw" "err 426 hello-required"
long=$(head -c 5000 /dev/zero | tr '\0' a)
raw "hello versions=1" "$long" "ping" >"$LOG/raw" 2>&1
check "raw client: a too-long line is refused, the connection stays usable" out "$LOG/raw" "ok version=1
err 400 line-too-long
ok"

# non-root peers: the file mode keeps them out; with the mode opened up
# (as a mistake would), SO_PEERCRED still does
chmod 0711 "$LOG"
RAW_USER=nobody raw "hello versions=1" >"$LOG/raw" 2>&1
check "user nobody cannot connect (socket mode 0600)" out "$LOG/raw" "connect: Permission denied"
chmod 0666 "$SOCK"
RAW_USER=nobody raw "hello versions=1" >"$LOG/raw" 2>&1
check "user nobody refused by SO_PEERCRED: err 403 forbidden" out "$LOG/raw" "err 403 forbidden"
chmod 0600 "$SOCK"
chmod 0700 "$LOG"

"$CTL" -p "$PREFIX" stats >"$LOG/stats" 2>&1
check "twamp-ctl stats has the key import line" grep -Eq "^key import: 2 IKE SA\(s\), 1 Child SA\(s\); .*records [0-9]+ \([0-9]+ ok, [0-9]+ refused\); IKE SAs added 3, rekeyed 1, deleted 1; Child SAs added 2, deleted 1" "$LOG/stats"
"$CTL" -p "$PREFIX" query /twamp/keys/stats >"$LOG/q" 2>&1
check "telemetry /twamp/keys/stats" grep -q '"refused_peer": 1' "$LOG/q"

key del ike-down spi-i=$NEW_I spi-r=$NEW_R reason=test >"$LOG/o" 2>&1
check "key del ike-down: the Child SA goes with it" out "$LOG/o" "ok deleted children=1"
key del ike-down spi-i=$NEW_I spi-r=$NEW_R >"$LOG/o" 2>&1
check "key del again: ok absent" out "$LOG/o" "ok absent"

check "the log has no key material" bash -c "! grep -Eq '$IKE_KEY|$SKD|$GCM_KEY|$CBC_KEY|$SHA_KEY|$SEED20|$KEYMAT' '$LOG/app.err'"
check "the log names refused records" grep -q "child-add refused: err 422 unsupported integ" "$LOG/app.err"

kill -TERM "$APP"
wait "$APP"
rc=$?
APP=0
check "SIGTERM stops twamp-dp with exit 0 (got $rc)" test "$rc" -eq 0
check "the socket is removed on exit" test ! -e "$SOCK"
key list >"$LOG/o" 2>&1
check "twamp-ctl key without twamp-dp: a clear error" grep -q "cannot connect to the key import socket" "$LOG/o"

finish
