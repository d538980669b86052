#!/usr/bin/env bash
# twamp-dp in one command: the reflector on the shipped default configuration
# (config/default.yaml, compiled in: one net_af_packet port on the test bed's
# veth "tw-dut", 198.18.0.1/24 and 2001:2::1/64, STAMP/TWAMP Light on UDP 862),
# a TWAMP Light stream from the peer namespace over IPv4 and IPv6, and a
# summary: sent, received, lost, RTT min/median/max, reflector turnaround.
#
#   sudo scripts/demo.sh [SECONDS] [PPS]      (default 5 s at 200 packets/s)
#
# Builds first when needed (scripts/setup.sh). Everything it starts (test
# bed, twamp-dp, the sender) is stopped on exit or Ctrl-C.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
SECONDS_V4=${1:-5}
PPS=${2:-200}
DUT_V4=198.18.0.1 DUT_V6=2001:2::1 PORT=862
PY=/usr/bin/python3
DP=$BUILD/app/twamp-dp/twamp-dp
CTL=$BUILD/app/twamp-ctl/twamp-ctl

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root (network namespaces, AF_PACKET, TAP); try: sudo $0" >&2
  exit 1
fi
if [ -f "$BUILD/build.ninja" ]; then
  ninja -C "$BUILD" app/twamp-dp/twamp-dp app/twamp-ctl/twamp-ctl >/dev/null || exit 1
else
  scripts/setup.sh || exit 1
fi

LOG=$(mktemp -d /tmp/twamp-demo.XXXXXX)
APP=0
TESTBED_UP=0
cleanup() {
  trap - EXIT INT TERM
  if [ "$APP" -ne 0 ] && kill -0 "$APP" 2>/dev/null; then
    kill -TERM "$APP"
    for _ in $(seq 1 50); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$APP" 2>/dev/null && kill -KILL "$APP"
  fi
  [ "$TESTBED_UP" -eq 1 ] && scripts/testbed.sh down >/dev/null 2>&1
  rm -rf "$LOG"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }

step "test bed: namespaces tw-dut (DPDK side) and tw-peer (198.18.0.2, 2001:2::2)"
scripts/testbed.sh up || exit 1
TESTBED_UP=1

step "twamp-dp on the built-in configuration (twamp-dp --show-default prints it)"
# --idle-us: the workers nap when idle, so the demo runs on a small shared VM
ip netns exec tw-dut "$DP" --idle-us 100 2>"$LOG/twamp-dp.log" &
APP=$!
for _ in $(seq 1 200); do
  grep -q "twamp-dp: running:" "$LOG/twamp-dp.log" 2>/dev/null && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.1
done
grep "twamp-dp: " "$LOG/twamp-dp.log" | sed 's/^/  /'
if ! grep -q "twamp-dp: running:" "$LOG/twamp-dp.log"; then
  echo "demo: twamp-dp did not start; its log:" >&2
  sed 's/^/  /' "$LOG/twamp-dp.log" >&2
  exit 1
fi
# the peer resolves the appliance through the TAP (ARP/ND go to the kernel)
ip netns exec tw-peer ping -c 1 -W 2 "$DUT_V4" >/dev/null 2>&1
ip netns exec tw-peer ping -6 -c 1 -W 2 "$DUT_V6" >/dev/null 2>&1

stream() { # ADDR SECONDS
  ip netns exec tw-peer "$PY" tests/integration/twl_sender.py stream "$1" "$PORT" \
    --proto light --size 44 --rate "$PPS" --seconds "$2" --json
}
step "TWAMP Light stream from tw-peer to $DUT_V4:$PORT, $SECONDS_V4 s at $PPS packets/s"
stream "$DUT_V4" "$SECONDS_V4" >"$LOG/v4.json" || true
step "TWAMP Light stream from tw-peer to [$DUT_V6]:$PORT, 2 s at $PPS packets/s"
stream "$DUT_V6" 2 >"$LOG/v6.json" || true

"$CTL" stats --json >"$LOG/stats.json" 2>"$LOG/ctl.err" || true

step "summary"
"$PY" - "$LOG/v4.json" "$LOG/v6.json" "$LOG/stats.json" <<'EOF'
import json, sys
def load(p):
    try:
        with open(p) as f:
            return json.loads(f.read() or "null")
    except (OSError, ValueError):
        return None
for name, p in (("IPv4", sys.argv[1]), ("IPv6", sys.argv[2])):
    r = load(p)
    if not r:
        print("  %s: the sender failed" % name)
        continue
    loss = 100.0 * r["lost"] / r["sent"] if r["sent"] else 0.0
    print("  %s: sent %d, received %d, lost %d (%.2f %%)" % (name, r["sent"], r["received"], r["lost"], loss))
    if r["received"]:
        print("        RTT min %.1f us, median %.1f us, max %.1f us" %
              (r["rtt_min_us"], r["rtt_median_us"], r["rtt_max_us"]))
st = load(sys.argv[3]) or {}
ta = st.get("turnaround")
if ta and ta.get("count"):
    print("  reflector turnaround (RX stamp to TX stamp, %d packets): p50 %.1f us, p99 %.1f us, max %.1f us" %
          (ta["count"], ta["p50_ns"] / 1e3, ta["p99_ns"] / 1e3, ta["max_ns"] / 1e3))
else:
    print("  reflector turnaround: not available (twamp-ctl stats failed or no packet reflected)")
s = st.get("stats") or {}
drops = {k: v for k, v in s.items() if k.startswith("drop_") and v}
print("  data plane: rx %s, reflected %s, to the kernel %s, drops %s" %
      (s.get("rx", "?"), s.get("tx", "?"), s.get("exc_in", "?"), drops or "none"))
EOF

step "twamp-ctl stats (while it runs; also: dpdk-telemetry.py, then /twamp/dp/stats)"
"$CTL" stats 2>&1 | sed 's/^/  /'

step "stop: SIGTERM"
kill -TERM "$APP"
wait "$APP"
rc=$?
APP=0
tail -n 3 "$LOG/twamp-dp.log" | sed 's/^/  /'
echo "  twamp-dp exit status $rc"
