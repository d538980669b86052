# Sourced by tests/integration/test_control*.sh (not a test itself):
# paths, TAP helpers, start/stop of twamp-dp in the test bed $TW_TB.
# The caller sets TW_TB, PREFIX and LOG first.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
CTL="$BUILD/app/twamp-ctl/twamp-ctl"
PING="$BUILD/app/twamp-ping/twamp-ping"
PY=/usr/bin/python3
RAW="$top/tests/integration/test_control_raw.py"
TESTBED="$top/scripts/testbed.sh"
DUT_NS=$TW_TB-dut PEER_NS=$TW_TB-peer DUT_IF=$TW_TB-dut
DUT_V4=198.18.0.1 DUT_V6=2001:2::1
N=0 FAILED=0 APP=0

ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
check() { local name=$1; shift; if "$@" >>"$LOG/steps" 2>&1; then ok "$name"; else notok "$name"; fi; }
peer() { ip netns exec "$PEER_NS" "$@"; }
# a counter of telemetry command $1 (e.g. /twamp/ctrl/stats), key $2
tel_of() {
  "$CTL" -p "$PREFIX" stats --json 2>/dev/null |
    $PY -c "import json,sys; print(json.load(sys.stdin)['other']['$1'].get('$2', -1))"
}

# stop our twamp-dp (only it, by PID) and remove the test bed
dp_stop_all() {
  if [ "$APP" -ne 0 ] && kill -0 "$APP" 2>/dev/null; then
    kill -TERM "$APP" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$APP" 2>/dev/null
  fi
  "$TESTBED" down >/dev/null 2>&1
  rm -rf "/var/run/dpdk/$PREFIX"
}

# skip (TAP) unless root and the programs exist
need_root_and() {
  local p
  for p in "$DP" "$CTL" "$@"; do
    if [ "$(id -u)" -ne 0 ] || [ ! -x "$p" ]; then
      echo "1..1"
      echo "ok 1 - # SKIP needs root and $p"
      exit 0
    fi
  done
}

# start twamp-dp with config $1 in the DUT namespace; APP = its PID
dp_start() {
  "$TESTBED" down >/dev/null 2>&1
  check "test bed up" "$TESTBED" up
  ip netns exec "$DUT_NS" "$DP" -c "$1" --idle-us 100 2>"$LOG/app.err" &
  APP=$!
  for _ in $(seq 1 200); do
    grep -q "twamp-dp: running:" "$LOG/app.err" 2>/dev/null && break
    kill -0 "$APP" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q "twamp-dp: running:" "$LOG/app.err"; then ok "twamp-dp starts with reflector.control"; else
    notok "twamp-dp starts with reflector.control"; sed 's/^/# /' "$LOG/app.err"; fi
}

# SIGTERM and check the exit code
dp_term() {
  local rc
  kill -TERM "$APP"
  for _ in $(seq 1 50); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
  wait "$APP"; rc=$?
  APP=0
  check "SIGTERM: exit 0 (got $rc)" test $rc -eq 0
}
