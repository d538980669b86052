#!/usr/bin/env bash
# Exception path end to end: a net_af_packet port on the test bed's veth with
# its TAP; ARP, ICMP, ICMPv6/ND, TCP and UDP from the peer namespace must reach
# the kernel through the TAP and come back out of the port. Prints TAP.
#
#   tests/integration/test_exception.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
BIN="$BUILD/tests/integration/dp_exception"
PY=/usr/bin/python3
TOOL="$top/tests/integration/peer_tool.py"
TESTBED="$top/scripts/testbed.sh"
# a test bed of its own, so other suites and developers can run beside it
export TW_TB=${TW_TB:-exc}
TB=$TW_TB
DUT_V4=198.18.0.1 DUT_V6=2001:2::1 PEER_V4=198.18.0.2
TCP_PORT=8620 UDP_OWNED=862 UDP_OTHER=8621 UDP_ECHO=8622
VLAN_V4=198.18.1.1 VLAN_PEER_V4=198.18.1.2 SET_MAC=02:54:57:00:00:01
# first run with telemetry (a file prefix of our own), the second without
PREFIX=tw-exc-$$
TEL=/var/run/dpdk/$PREFIX/dpdk_telemetry.v2
EAL=(--no-huge -m 256 --no-pci --no-shconf --file-prefix $PREFIX -l 0 --log-level=lib.eal:notice)
EAL2=(--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l 0,1 --log-level=lib.eal:notice)
EAL3=(--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l 0 --log-level=lib.eal:notice)

N=0 FAILED=0 APP=0 SERVERS=()
PLAN=36
LOG=$(mktemp -d /tmp/tw-exc.XXXXXX)

ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
check() { local name=$1; shift; if "$@" >>"$LOG/steps" 2>&1; then ok "$name"; else notok "$name"; fi; }
peer() { ip netns exec $TB-peer "$@"; }
dut() { ip netns exec $TB-dut "$@"; }

cleanup() {
  local pid
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null; done
  if [ "$APP" -ne 0 ] && kill -0 "$APP" 2>/dev/null; then
    kill -TERM "$APP" 2>/dev/null
    sleep 1
    kill -KILL "$APP" 2>/dev/null
  fi
  "$TESTBED" down >/dev/null 2>&1
  rm -rf "$LOG" "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT
# background jobs are started with a plain `ip netns exec` (it execs), never
# through a shell function, so $! is the process itself
trap 'exit 130' INT TERM

echo "1..$PLAN"
if [ "$(id -u)" -ne 0 ] || [ ! -x "$BIN" ]; then
  for i in $(seq 1 $PLAN); do echo "ok $i - # SKIP needs root and $BIN"; done
  exit 0
fi
command -v ping >/dev/null && HAVE_PING=1 || HAVE_PING=0
command -v arping >/dev/null && HAVE_ARPING=1 || HAVE_ARPING=0

"$TESTBED" down >/dev/null 2>&1
check "test bed up" "$TESTBED" up

ip netns exec $TB-dut "$BIN" "${EAL[@]}" -- --device net_af_packet0,iface=$TB-dut --name uplink \
  --addr $DUT_V4/24 --addr $DUT_V6/64 --own-udp $UDP_OWNED --reflect-udp $UDP_ECHO \
  >"$LOG/app.out" 2>"$LOG/app.err" &
APP=$!
for _ in $(seq 1 100); do
  grep -qx ready "$LOG/app.out" 2>/dev/null && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.1
done
if grep -qx ready "$LOG/app.out"; then ok "dp_exception starts"; else
  notok "dp_exception starts"; sed 's/^/# /' "$LOG/app.err"; fi

# the TAP stands in for the port: same MAC, the port's addresses, link up
veth_mac=$(dut cat /sys/class/net/$TB-dut/address 2>/dev/null)
tap_mac=$(dut cat /sys/class/net/tw-uplink/address 2>/dev/null)
check "TAP tw-uplink has the port's MAC ($veth_mac)" test -n "$veth_mac" -a "$veth_mac" = "$tap_mac"
check "TAP carries $DUT_V4/24 and $DUT_V6/64, link up" \
  sh -c "ip netns exec $TB-dut ip -br addr show dev tw-uplink | grep -q ' $DUT_V4/24 .*$DUT_V6/64' &&
         ip netns exec $TB-dut ip link show tw-uplink | grep -q ',UP'"

if [ $HAVE_ARPING -eq 1 ]; then
  arp_out=$(peer arping -c 2 -w 3 -I $TB-peer0 $DUT_V4 2>&1)
  # the first MAC in the output is the reply's (iputils and Habets arping alike)
  arp_mac=$(echo "$arp_out" | grep -oiE '([0-9a-f]{2}:){5}[0-9a-f]{2}' | head -1 | tr A-F a-f)
else
  arp_mac=$(peer $PY "$TOOL" arp $TB-peer0 $PEER_V4 $DUT_V4 2>/dev/null)
fi
check "ARP: $DUT_V4 is-at the port's MAC" test -n "$arp_mac" -a "$arp_mac" = "$veth_mac"

if [ $HAVE_PING -eq 1 ]; then
  check "ping $DUT_V4" peer ping -c 3 -i 0.2 -W 2 $DUT_V4
  check "ping $DUT_V6 (neighbour discovery through the TAP)" peer ping -c 3 -i 0.2 -W 2 $DUT_V6
else
  check "ping $DUT_V4" peer $PY "$TOOL" ping $DUT_V4
  check "ping $DUT_V6 (neighbour discovery through the TAP)" peer $PY "$TOOL" ping $DUT_V6
fi
check "no duplicate echo replies (the kernel does not answer on the veth)" \
  sh -c "! ip netns exec $TB-peer ping -c 3 -i 0.2 -W 2 $DUT_V4 2>/dev/null | grep -q DUP"

start_server() { # KIND ADDR PORT
  ip netns exec $TB-dut $PY "$TOOL" "serve-$1" "$2" "$3" 30 >"$LOG/srv-$1-$3-${2//:/_}" 2>&1 &
  SERVERS+=($!)
  for _ in $(seq 1 50); do
    grep -q listening "$LOG/srv-$1-$3-${2//:/_}" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
start_server tcp $DUT_V4 $TCP_PORT
start_server tcp $DUT_V6 $TCP_PORT
start_server udp $DUT_V4 $UDP_OWNED
start_server udp $DUT_V4 $UDP_OTHER
start_server udp $DUT_V6 $UDP_OWNED
check "TCP connect + echo to $DUT_V4:$TCP_PORT (listener on the TAP)" peer $PY "$TOOL" tcp $DUT_V4 $TCP_PORT
check "TCP connect + echo to [$DUT_V6]:$TCP_PORT" peer $PY "$TOOL" tcp $DUT_V6 $TCP_PORT
check "UDP to a port the fast path does not own reaches the kernel" peer $PY "$TOOL" udp $DUT_V4 $UDP_OTHER
check "UDP to owned port $UDP_OWNED: handler stub passes it to the kernel (IPv4)" \
  peer $PY "$TOOL" udp $DUT_V4 $UDP_OWNED
check "UDP to owned port $UDP_OWNED: handler stub passes it to the kernel (IPv6)" \
  peer $PY "$TOOL" udp $DUT_V6 $UDP_OWNED

# nothing listens on $UDP_ECHO in the kernel: only the fast path can answer
check "UDP to $UDP_ECHO answered by the fast path (worker handler + TX), IPv4" \
  peer $PY "$TOOL" udp $DUT_V4 $UDP_ECHO
check "UDP to $UDP_ECHO answered by the fast path, IPv6" peer $PY "$TOOL" udp $DUT_V6 $UDP_ECHO
tel=$($PY "$TOOL" telemetry "$TEL" /twamp/dp/turnaround 2>&1)
echo "# turnaround: $tel"
check "telemetry /twamp/dp/turnaround: fast-path replies counted, p50 <= max < 100 ms" \
  $PY -c "import json,sys; d = json.loads(sys.argv[1]); sys.exit(not (d['count'] >= 2 and 0 < d['p50_ns'] <= d['max_ns'] < 100000000))" "$tel"
tel=$($PY "$TOOL" telemetry "$TEL" /twamp/dp/stats 2>&1)
check "telemetry /twamp/dp/stats: rx and exception counters" \
  $PY -c "import json,sys; d = json.loads(sys.argv[1]); sys.exit(not (d['rx'] > 0 and d['exc_in'] > 0 and d['exc_out'] > 0 and d['drop_l4_cksum'] == 0))" "$tel"
tel=$($PY "$TOOL" telemetry "$TEL" /twamp/dp/port,uplink 2>&1)
check "telemetry /twamp/dp/port,uplink: per-port counters" \
  $PY -c "import json,sys; d = json.loads(sys.argv[1]); sys.exit(not (d['rx'] > 0 and 0 < d['exc_in'] <= d['rx']))" "$tel"
tel=$($PY "$TOOL" telemetry "$TEL" /twamp/dp/ports 2>&1)
check "telemetry /twamp/dp/ports: uplink on net_af_packet0 with TAP tw-uplink" \
  $PY -c "import json,sys; p = json.loads(sys.argv[1])['uplink']; sys.exit(not (p['device'] == 'net_af_packet0' and p['tap'] == 'tw-uplink' and p['rx_timestamp'] == 'tsc'))" "$tel"

kill -TERM "$APP" 2>/dev/null
rc=124
for _ in $(seq 1 100); do
  if ! kill -0 "$APP" 2>/dev/null; then wait "$APP"; rc=$?; break; fi
  sleep 0.1
done
APP=0
check "SIGTERM: clean stop, exit 0 (got $rc)" test "$rc" -eq 0
sed 's/^/# /' <(grep -E '^(counter|drop) ' "$LOG/app.out" | grep -v ' 0$')

cnt() { awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $3 }' "$LOG/app.out"; }
rx=$(cnt counter rx) exc_in=$(cnt counter exc_in) exc_out=$(cnt counter exc_out)
owned=$(cnt counter udp_owned) queued=$(cnt counter exc_queued)
check "counters: rx=$rx = exception (exc_queued=$queued, all written to the TAP: exc_in=$exc_in) + fast-path replies (tx=$(cnt counter tx))" \
  test "${rx:-0}" -gt 0 -a "$((queued + $(cnt counter tx)))" -eq "${rx:-0}" -a "${exc_in:-0}" -eq "${queued:-0}"
txc=$(cnt counter tx)
check "counters: kernel replies sent out of the port (exc_out=$exc_out), owned UDP seen (udp_owned=$owned >= 4), fast-path replies (tx=$txc >= 2)" \
  test "${exc_out:-0}" -gt 0 -a "${owned:-0}" -ge 4 -a "${txc:-0}" -ge 2
drops=$(awk '$1 == "drop" { s += $3 } END { print s + 0 }' "$LOG/app.out")
check "counters: no drops ($drops)" test "$drops" -eq 0
check "TAP removed on exit" sh -c "! ip netns exec $TB-dut ip link show tw-uplink 2>/dev/null"

# the same with a worker lcore: tw_dp_worker_main() on lcore 1, the service on
# its own control thread
# (and a MAC of our choosing, set on the device and given to the TAP; the
# peer forgets the old one, as it would after a gratuitous ARP)
peer ip neigh flush dev $TB-peer0 >/dev/null 2>&1
ip netns exec $TB-dut "$BIN" "${EAL2[@]}" -- --device net_af_packet0,iface=$TB-dut --name uplink \
  --addr $DUT_V4/24 --addr $DUT_V6/64 --mac $SET_MAC >"$LOG/app2.out" 2>"$LOG/app2.err" &
APP=$!
for _ in $(seq 1 100); do
  grep -qx ready "$LOG/app2.out" 2>/dev/null && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.1
done
check "two lcores (worker lcore + service thread): starts" grep -qx ready "$LOG/app2.out"
if [ $HAVE_PING -eq 1 ]; then
  check "two lcores: ping $DUT_V4 and $DUT_V6" \
    sh -c "ip netns exec $TB-peer ping -c 2 -i 0.2 -W 2 $DUT_V4 && ip netns exec $TB-peer ping -c 2 -i 0.2 -W 2 $DUT_V6"
else
  check "two lcores: ping $DUT_V4 and $DUT_V6" \
    sh -c "ip netns exec $TB-peer $PY $TOOL ping $DUT_V4 && ip netns exec $TB-peer $PY $TOOL ping $DUT_V6"
fi
check "two lcores: TCP connect + echo to $DUT_V4:$TCP_PORT" peer $PY "$TOOL" tcp $DUT_V4 $TCP_PORT
mac2=$(peer $PY "$TOOL" arp $TB-peer0 $PEER_V4 $DUT_V4 2>/dev/null)
tap2=$(dut cat /sys/class/net/tw-uplink/address 2>/dev/null)
check "MAC override: ARP answers $SET_MAC and the TAP has it ($mac2, $tap2)" \
  test "$mac2" = "$SET_MAC" -a "$tap2" = "$SET_MAC"
kill -INT "$APP" 2>/dev/null
rc=124
for _ in $(seq 1 100); do
  if ! kill -0 "$APP" 2>/dev/null; then wait "$APP"; rc=$?; break; fi
  sleep 0.1
done
APP=0
rx2=$(awk '$1 == "counter" && $2 == "rx" { print $3 }' "$LOG/app2.out")
check "two lcores: SIGINT stops the worker lcore, exit 0 (got $rc, rx=$rx2)" \
  test "$rc" -eq 0 -a "${rx2:-0}" -gt 0

# a VLAN port: tagged frames of its VID reach the kernel untagged, the
# kernel's answers leave tagged; other VIDs and untagged frames are dropped
# (a port name too long for "tw-<name>", so the TAP is named explicitly)
ip netns exec $TB-dut "$BIN" "${EAL3[@]}" -- --device net_af_packet0,iface=$TB-dut \
  --name backhaul-vlan-100 --tap tw-v100 --addr $VLAN_V4/24 --vlan 100 \
  >"$LOG/app3.out" 2>"$LOG/app3.err" &
APP=$!
for _ in $(seq 1 100); do
  grep -qx ready "$LOG/app3.out" 2>/dev/null && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.1
done
check "VLAN 100 port: starts" grep -qx ready "$LOG/app3.out"
check "VLAN port: the named TAP tw-v100 carries $VLAN_V4/24" \
  sh -c "ip netns exec $TB-dut ip -br addr show dev tw-v100 | grep -q ' $VLAN_V4/24'"
vmac=$(peer $PY "$TOOL" arp $TB-peer0 $VLAN_PEER_V4 $VLAN_V4 100 2>/dev/null)
check "VLAN 100: tagged ARP answered, tagged, with the port's MAC ($vmac)" test "$vmac" = "$veth_mac"
check "VLAN 200: not answered" sh -c "! ip netns exec $TB-peer $PY $TOOL arp $TB-peer0 $VLAN_PEER_V4 $VLAN_V4 200"
kill -TERM "$APP" 2>/dev/null
rc=124
for _ in $(seq 1 100); do
  if ! kill -0 "$APP" 2>/dev/null; then wait "$APP"; rc=$?; break; fi
  sleep 0.1
done
APP=0
vdrop=$(awk '$1 == "drop" && $2 == "vlan" { print $3 }' "$LOG/app3.out")
check "the veth got its own MAC back after the MAC override run" \
  test "$(dut cat /sys/class/net/$TB-dut/address)" = "$veth_mac"
check "VLAN port: clean stop, exit 0 (got $rc), other VIDs counted as drop vlan ($vdrop >= 1)" \
  test "$rc" -eq 0 -a "${vdrop:-0}" -ge 1

for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null; done
SERVERS=()
"$TESTBED" down >/dev/null 2>&1
check "test bed down leaves no namespace or link" \
  sh -c "! ip netns list | grep -qE '^$TB-(dut|peer)( |\$)' && ! ip link show $TB-dut 2>/dev/null"
[ "$N" -eq "$PLAN" ] || echo "# planned $PLAN, ran $N"
exit $((FAILED > 0))
