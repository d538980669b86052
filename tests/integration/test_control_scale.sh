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
export TW_TB=cts
PREFIX=tw-cts-$$
LOG=$(mktemp -d /tmp/tw-cts.XXXXXX)
. "$(dirname "$0")/test_control_common.bash"
SESSIONS=${CTL_SCALE_SESSIONS:-100000}
BULK_PID=
refl_sessions() { tel_of /twamp/refl/stats sessions; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$APP/status"; }
cleanup() {
  [ -n "$BULK_PID" ] && kill "$BULK_PID" 2>/dev/null
  dp_stop_all
  rm -rf "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
need_root_and

cat >"$LOG/dp.yaml" <<EOF
eal: [--no-huge, -m, "1024", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: cts
    device: net_af_packet0,iface=$DUT_IF
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
dp_start "$LOG/dp.yaml"
[ "$FAILED" -eq 0 ] || { echo "1..$N"; exit 1; }
peer ping -c 1 -W 2 $DUT_V4 >/dev/null 2>&1
rss0=$(rss_kb)
ulimit -n 4096
# the client keeps its connections (and so the sessions) until told
coproc BULK { ip netns exec "$PEER_NS" $PY "$RAW" $DUT_V4 862 bulk "$SESSIONS" 1024; }
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
dp_term
echo "1..$N"
[ "$FAILED" -eq 0 ]
