#!/usr/bin/env bash
# twamp-dp's control server at scale: CTL_SCALE_SESSIONS (100000) TWAMP
# sessions set up through TWAMP-Control (open mode, pipelined requests on
# connections of 1024 sessions each, test_control_raw.py bulk) land in the
# reflector; all go when their connections close. Reports the set-up rate
# and the appliance's resident memory per session (as TAP comments: numbers,
# not assertions). Own test bed TW_TB=cts. Prints TAP; root; about 40 s.
#
#   tests/integration/test_control_scale.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
CTL="$BUILD/app/twamp-ctl/twamp-ctl"
PY=/usr/bin/python3
RAW="$top/tests/integration/test_control_raw.py"
TESTBED="$top/scripts/testbed.sh"
export TW_TB=cts
DUT_V4=198.18.0.1
PREFIX=tw-cts-$$
SESSIONS=${CTL_SCALE_SESSIONS:-100000}

N=0 FAILED=0 APP=0
LOG=$(mktemp -d /tmp/tw-cts.XXXXXX)
ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
check() { local name=$1; shift; if "$@" >>"$LOG/steps" 2>&1; then ok "$name"; else notok "$name"; fi; }
refl_sessions() {
  "$CTL" -p "$PREFIX" stats --json 2>/dev/null | $PY -c \
    "import json,sys; print(json.load(sys.stdin)['other']['/twamp/refl/stats'].get('sessions', -1))"
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$APP/status"; }

cleanup() {
  [ -n "${BULK_PID:-}" ] && kill "$BULK_PID" 2>/dev/null
  if [ "$APP" -ne 0 ] && kill -0 "$APP" 2>/dev/null; then
    kill -TERM "$APP" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$APP" 2>/dev/null
  fi
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
cat >"$LOG/dp.yaml" <<EOF
eal: [--no-huge, -m, "1024", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: cts
    device: net_af_packet0,iface=cts-dut
    ipv4: [$DUT_V4/24]
workers:
  lcores: [1]
reflector:
  control:
    listen: ["$DUT_V4:862"]
    modes: [open]
    max_connections: 256
    max_sessions: 131072
    max_sessions_per_connection: 1024
EOF
"$TESTBED" down >/dev/null 2>&1
check "test bed up" "$TESTBED" up
ip netns exec cts-dut "$DP" -c "$LOG/dp.yaml" --idle-us 100 2>"$LOG/app.err" &
APP=$!
for _ in $(seq 1 200); do
  grep -q "twamp-dp: running:" "$LOG/app.err" 2>/dev/null && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.1
done
if grep -q "twamp-dp: running:" "$LOG/app.err"; then ok "twamp-dp starts"; else
  notok "twamp-dp starts"; sed 's/^/# /' "$LOG/app.err"; echo "1..$N"; exit 1; fi
ip netns exec cts-peer ping -c 1 -W 2 $DUT_V4 >/dev/null 2>&1
rss0=$(rss_kb)
ulimit -n 4096
# the client keeps its connections (and so the sessions) until told
coproc BULK { ip netns exec cts-peer $PY "$RAW" $DUT_V4 862 bulk "$SESSIONS" 1024; }
BULK_PID=$BULK_PID
while read -r -t 120 line <&"${BULK[0]}"; do
  case "$line" in
    "ok - "*) ok "${line#ok - }" ;;
    "not ok - "*) notok "${line#not ok - }" ;;
    held) break ;;
  esac
done
rss1=$(rss_kb)
check "the reflector holds all $SESSIONS sessions" test "$(refl_sessions)" = "$SESSIONS"
echo "# appliance RSS: $rss0 kB idle, $rss1 kB with $SESSIONS sessions:" \
  "$(( (rss1 - rss0) * 1024 / SESSIONS )) octets per session"
echo >&"${BULK[1]}"
wait "$BULK_PID" 2>/dev/null
BULK_PID=
for _ in $(seq 1 100); do [ "$(refl_sessions)" = 0 ] && break; sleep 0.1; done
check "closing the connections removed every session" test "$(refl_sessions)" = 0
kill -TERM "$APP"
for _ in $(seq 1 50); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
wait "$APP"; rc=$?
APP=0
check "SIGTERM: exit 0 (got $rc)" test $rc -eq 0
echo "1..$N"
[ "$FAILED" -eq 0 ]
