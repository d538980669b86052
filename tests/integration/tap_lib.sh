# Sourced by the integration tests (tests/integration/test_*.sh, e2e_lib.sh):
# TAP output helpers, and what several of them share.
#   ok NAME / notok NAME     one numbered line; FAILED counts the failures
#   check NAME CMD...        ok when CMD succeeds; on failure the last lines
#                            of its output, as TAP comments
#   stop_pids PID...         SIGTERM each PID still alive (0 = none), SIGKILL
#                            a second later: only processes the test started
# The caller sets LOG (a scratch directory) before calling check.
#   dp_stop                  SIGTERM twamp-dp $APP (it stops its workers:
#                            up to 5 s), then SIGKILL; APP=0 after
#   results_ok FILE N MODE   twamp-ping's --json FILE: N sent, N back, none
#                            rejected, MODE in the session (PY: python)
# The two-appliance bed of test_sender_twamp.sh and test_sender_ipsec.sh
# (the caller sets NS_A, NS_B, IF_A, IF_B and PA, PB, the twamp-dp PIDs):
#   bed_down / bed_up        remove / make the two namespaces and the veth
#                            pair between them
#   bed_config NAME IFACE V4 V6 PREFIX   the YAML both ends start with (EAL
#                            without hugepages, port NAME on IFACE, worker 1)
#   bed_stop                 SIGTERM A, then B: one TAP line each for exit 0
# The one-appliance bed of scripts/testbed.sh (test_reflector.sh,
# test_ping.sh, test_sender.sh; namespaces $TW_TB-dut and $TW_TB-peer). The
# caller sets top (the repository) and exports TW_TB, then:
#   tb_open NAME BUILD TOOL...  the opening such a test shares: BUILD (the
#                            argument, else $BUILD, else build; relative to
#                            $top), DP, CTL, PING, PY, TESTBED, DUT_NS,
#                            PEER_NS, PREFIX (EAL: $TW_TB-NAME-PID), LOG
#                            (/tmp/tw-NAME.XXXXXX); tb_close on exit, exit 130
#                            on SIGINT/SIGTERM; without root or one of the
#                            TOOLs (twamp-dp, twamp-ctl, twamp-ping) a skipped
#                            plan and exit 0; umask 077 (the key files)
#   tb_close                 the caller's tb_stop if it has one (its own
#                            processes), the bed down, LOG and the EAL
#                            runtime directory removed
N=0 FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
check() {
  local name=$1
  shift
  if "$@" >>"$LOG/steps" 2>&1; then ok "$name"; else
    notok "$name"
    sed 's/^/# /' "$LOG/steps" | tail -5
  fi
  : >"$LOG/steps"
}
# the plan, and the exit status: 0 when nothing failed
finish() { echo "1..$N"; [ "$FAILED" -eq 0 ]; }
stop_pids() {
  local p
  for p in "$@"; do
    if [ "$p" -ne 0 ] && kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null
      sleep 1
      kill -KILL "$p" 2>/dev/null
    fi
  done
  return 0
}

bed_down() {
  ip netns del "$NS_A" 2>/dev/null
  ip netns del "$NS_B" 2>/dev/null
  ip link del "$IF_A" 2>/dev/null
  return 0
}
# the wire: a veth pair whose kernel ends have no address and answer nothing
# (DPDK owns them; each side's kernel talks through its twamp-dp's TAP)
bed_up() {
  bed_down
  ip netns add "$NS_A" && ip netns add "$NS_B" &&
  ip link add "$IF_A" type veth peer name "$IF_B" &&
  ip link set "$IF_A" netns "$NS_A" && ip link set "$IF_B" netns "$NS_B" || return 1
  for x in "$NS_A $IF_A" "$NS_B $IF_B"; do
    # shellcheck disable=SC2086 # "ns iface" into $1 $2
    set -- $x
    ip netns exec "$1" ip link set lo up
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
    ip netns exec "$1" ip link set "$2" arp off
    ip netns exec "$1" ethtool -K "$2" tx off rx off >/dev/null 2>&1
    ip netns exec "$1" ip link set "$2" up || return 1
  done
}
bed_config() { # name iface v4 v6 prefix
  cat <<EOF
eal: [--no-huge, -m, "256", --no-pci, --no-shconf, --file-prefix, $5,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: $1
    device: net_af_packet0,iface=$2
    ipv4: [$3/24]
    ipv6: ["$4/64"]
workers:
  lcores: [1]
EOF
}
bed_stop() {
  local rc
  kill -TERM "$PA" 2>/dev/null; wait "$PA"; rc=$?; PA=0
  check "SIGTERM stops the client with exit 0 (got $rc)" test "$rc" -eq 0
  kill -TERM "$PB" 2>/dev/null; wait "$PB"; rc=$?; PB=0
  check "SIGTERM stops the server with exit 0 (got $rc)" test "$rc" -eq 0
}

dp_stop() {
  if [ "$APP" -ne 0 ] && kill -0 "$APP" 2>/dev/null; then
    kill -TERM "$APP" 2>/dev/null # twamp-dp stops its workers: allow 5 s
    for _ in $(seq 1 50); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$APP" 2>/dev/null
    wait "$APP" 2>/dev/null
  fi
  APP=0
}
# results_ok FILE COUNT MODE: every packet back, in the mode asked for
results_ok() {
  "$PY" - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
pk = d["packets"]
assert pk["sent"] == n and pk["received"] == n and pk["lost"] == 0, pk
assert d["twamp_ping"]["rejected"]["total"] == 0, d["twamp_ping"]["rejected"]
assert sys.argv[3] in json.dumps(d["session"]), (sys.argv[3], d["session"])
EOF
}

tb_open() {
  local name=$1 t need="" missing=0
  BUILD=${2:-${BUILD:-build}}
  shift 2
  case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
  DP="$BUILD/app/twamp-dp/twamp-dp"
  CTL="$BUILD/app/twamp-ctl/twamp-ctl"
  PING="$BUILD/app/twamp-ping/twamp-ping"
  PY=/usr/bin/python3
  TESTBED="$top/scripts/testbed.sh"
  DUT_NS=$TW_TB-dut PEER_NS=$TW_TB-peer
  PREFIX=$TW_TB-$name-$$
  LOG=$(mktemp -d "/tmp/tw-$name.XXXXXX")
  trap tb_close EXIT
  # background jobs are started with a plain `ip netns exec` (it execs): $!
  # is the process itself, so only the test's own processes are signalled
  trap 'exit 130' INT TERM
  for t in "$@"; do
    need="${need:+$need and }$BUILD/app/$t/$t"
    [ -x "$BUILD/app/$t/$t" ] || missing=1
  done
  if [ "$(id -u)" -ne 0 ] || [ "$missing" -ne 0 ]; then
    echo "1..1"
    echo "ok 1 - # SKIP needs root, $need"
    exit 0
  fi
  umask 077
}
tb_close() {
  if declare -F tb_stop >/dev/null; then tb_stop; fi
  "$TESTBED" down >/dev/null 2>&1
  rm -rf "$LOG" "/var/run/dpdk/$PREFIX"
}
