#!/usr/bin/env bash
# End to end with a real IKE daemon (docs/strongswan.md "End to end with
# twamp-dp"): twamp-dp in the dut namespace with key import and the TWAMP
# server (modes auth, enc, ikev2); a charon in the dut namespace (IKE over
# twamp-dp's TAP, which carries 198.18.0.1) whose twamp-keys plugin pushes
# the IKE SA and the measurement Child SA to twamp-dp's key-import socket,
# so twamp-dp's workers terminate that Child SA's ESP; a charon in the peer
# namespace (kernel-libipsec, ESP-in-UDP tunnel) whose plugin pushes the IKE
# SA to twamp-ping's --ike-socket. twamp-ping runs an RFC 7717
# authenticated TWAMP session: TWAMP-Control (TCP 862) outside the tunnel,
# keyed by the IKE SA (RFC 7717, DESIGN.md §5); TWAMP-Test (UDP, reflector
# port 20862, sender port 40862) inside the Child SA. Checks ESP-in-UDP on
# the wire and no clear test packet, the worker's per-SA counters, all
# replies back, then an IKE rekey and a Child SA rekey during a run: no
# loss, and twamp-dp's SA table follows the plugin's records.
# Prints TAP; needs root; about 30 s.
#
#   tests/integration/test_e2e_ipsec.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
PING="$BUILD/app/twamp-ping/twamp-ping"
PY=/usr/bin/python3
TESTBED="$top/scripts/testbed.sh"
TOOL="$top/tests/integration/peer_tool.py"
export TW_TB=e2e
DUT_NS=e2e-dut PEER_NS=e2e-peer PEER_IF=e2e-peer0
DUT_V4=198.18.0.1 PEER_V4=198.18.0.2
T_PORT=20862 S_PORT=40862 # reflector and sender test ports (in the Child SA)
PREFIX=tw-e2e-$$
TEL=/var/run/dpdk/$PREFIX/dpdk_telemetry.v2
APP=0 CAP=0 C_DUT=0 C_PEER=0 RUN=0
LOG=$(mktemp -d /tmp/tw-e2e.XXXXXX)
chmod 700 "$LOG"
. "$top/tests/integration/tap_lib.sh"

peer() { ip netns exec $PEER_NS "$@"; }
cleanup() {
  [ "$CAP" -ne 0 ] && kill -INT "$CAP" 2>/dev/null
  stop_pids "$RUN" "$C_DUT" "$C_PEER"
  if [ "$APP" -ne 0 ] && kill -0 "$APP" 2>/dev/null; then
    kill -TERM "$APP" 2>/dev/null # twamp-dp stops its workers: allow 5 s
    for _ in $(seq 1 50); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$APP" 2>/dev/null
    wait "$APP" 2>/dev/null
  fi
  "$TESTBED" down >/dev/null 2>&1
  [ -n "${KEEP:-}" ] && echo "# kept $LOG" || rm -rf "$LOG" "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() { echo "1..1"; echo "ok 1 - # SKIP $*"; exit 0; }
[ "$(id -u)" -eq 0 ] && [ -x "$DP" ] && [ -x "$PING" ] || skip "needs root, $DP and $PING"
[ -x /usr/sbin/charon-systemd ] && command -v swanctl >/dev/null || skip "strongSwan missing"
"$top/scripts/build-strongswan-plugin.sh" >"$LOG/plugin.log" 2>&1 ||
  skip "twamp-keys plugin not built: $(tail -1 "$LOG/plugin.log")"

wait_for() { # SECONDS CMD...: poll until CMD succeeds
  local t=$1 i
  shift
  for ((i = 0; i < t * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# ---- twamp-dp: key import, TWAMP server with ikev2, workers terminate ESP
umask 077
cat >"$LOG/twamp-dp.yaml" <<EOF
eal: [--no-huge, -m, "512", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: refl
    device: net_af_packet0,iface=$DUT_NS
    ipv4: [$DUT_V4/24]
workers:
  lcores: [1]
reflector:
  control:
    listen: ["$DUT_V4:862"]
    modes: [auth, enc, ikev2]
ipsec:
  key_import: {socket: $LOG/keys.sock}
EOF

# ---- charon configuration, per side: SIDE IP PEER-IP PLUGIN-SOCKET CHILDREN LOCAL_TS REMOTE_TS
swan_conf() {
  local s=$1 ip=$2 pip=$3 sock=$4 children=$5 lts=$6 rts=$7 d=$LOG/$1
  mkdir -p "$d"
  cat >"$d/strongswan.conf" <<EOF
charon-systemd {
	journal {
		default = -1
	}
}
charon {
	load_modular = no
	load = random nonce openssl kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici twamp-keys
	install_routes = no
	delete_rekeyed_delay = 1
	filelog {
		charon {
			path = $d/charon.log
			flush_line = yes
			default = 1
		}
	}
	plugins {
		kernel-libipsec {
			# the test selectors name the IKE peers' own addresses
			# (narrowed to the test ports); no routes are installed
			allow_peer_ts = yes
		}
		vici {
			socket = unix://$d/vici.sock
		}
		twamp-keys {
			socket = $sock
			send = key
			children = $children
			reply_timeout = 3s
			reconnect_max = 1s
		}
	}
}
EOF
  cat >"$d/swanctl.conf" <<EOF
connections {
	meas {
		version = 2
		local_addrs = $ip
		remote_addrs = $pip
		encap = yes
		proposals = aes128-sha256-modp2048
		rekey_time = 0
		local {
			auth = psk
			id = $ip
		}
		remote {
			auth = psk
			id = $pip
		}
		children {
			twamp {
				local_ts = $lts
				remote_ts = $rts
				esp_proposals = aes128gcm16
				rekey_time = 0
			}
		}
	}
}
secrets {
	ike-meas {
		id-a = $DUT_V4
		id-b = $PEER_V4
		secret = "e2e test psk 7c21"
	}
}
EOF
}
# the dut exports the measurement Child SA (twamp) to twamp-dp's workers;
# the peer's plugin exports no Child SA (its libipsec keeps them), only the
# IKE SA for twamp-ping
swan_conf dut $DUT_V4 $PEER_V4 "$LOG/keys.sock" "twamp*" \
  "$DUT_V4/32[udp/20000-29999]" "$PEER_V4/32[udp]"
swan_conf peer $PEER_V4 $DUT_V4 "$LOG/ping.sock" "" \
  "$PEER_V4/32[udp]" "$DUT_V4/32[udp/20000-29999]"
umask 022

sw() { local s=$1; shift; swanctl "$@" -u "unix://$LOG/$s/vici.sock"; }

"$TESTBED" down >/dev/null 2>&1
check "test bed e2e up" "$TESTBED" up
ip netns exec $DUT_NS "$DP" -c "$LOG/twamp-dp.yaml" --idle-us 100 2>"$LOG/app.err" &
APP=$!
app_up() { grep -q "twamp-dp: running:" "$LOG/app.err" && [ -S "$LOG/keys.sock" ]; }
if wait_for 20 app_up; then ok "twamp-dp runs and serves its key-import socket"; else
  notok "twamp-dp runs and serves its key-import socket"
  sed 's/^/# /' "$LOG/app.err" | tail -5
  finish
  exit 1
fi

STRONGSWAN_CONF=$LOG/dut/strongswan.conf ip netns exec $DUT_NS \
  /usr/sbin/charon-systemd >"$LOG/dut/charon.out" 2>&1 &
C_DUT=$!
STRONGSWAN_CONF=$LOG/peer/strongswan.conf ip netns exec $PEER_NS \
  /usr/sbin/charon-systemd >"$LOG/peer/charon.out" 2>&1 &
C_PEER=$!
both_up() { sw dut --stats && sw peer --stats; }
check "two charons answer on vici (dut on twamp-dp's TAP, peer on the veth)" wait_for 20 both_up
check "both load their connection and PSK" \
  sh -c "swanctl --load-all --file $LOG/dut/swanctl.conf -u unix://$LOG/dut/vici.sock &&
         swanctl --load-all --file $LOG/peer/swanctl.conf -u unix://$LOG/peer/vici.sock"

# kernel-libipsec routes each Child SA's remote selector into its TUN
# (table 220, ignoring install_routes); here the selectors name the IKE
# peers, so that would swallow IKE, ESP-in-UDP and TWAMP-Control: drop the
# rule on both sides (charon adds it once, at start)
no220() { ip -n "$1" rule show | grep -q "lookup 220" && ip -n "$1" rule del pref 220; }
check "charons' table-220 rules removed (dut: the workers own the Child SA)" \
  bash -c "$(declare -f wait_for no220); wait_for 10 no220 $DUT_NS && wait_for 10 no220 $PEER_NS"
# the peer's test traffic to the reflector's test ports goes into
# libipsec's TUN (ipsec0); IKE (500/4500) and TWAMP-Control (TCP 862) do not
peer sysctl -qw net.ipv4.conf.all.rp_filter=0
check "peer: libipsec's TUN ipsec0 exists" wait_for 10 ip -n $PEER_NS link show ipsec0
peer sysctl -qw net.ipv4.conf.ipsec0.rp_filter=0
peer ip link set ipsec0 up
check "peer: policy route for UDP to $DUT_V4:20000-29999 via ipsec0" \
  sh -c "ip -n $PEER_NS route add $DUT_V4/32 dev ipsec0 src $PEER_V4 table 100 &&
         ip -n $PEER_NS rule add to $DUT_V4 ipproto udp dport 20000-29999 lookup 100 pref 100"

if sw peer --initiate --child twamp --timeout 15 >"$LOG/initiate.log" 2>&1; then
  ok "peer initiates: IKE SA and Child SA twamp over twamp-dp's TAP"
else
  notok "peer initiates: IKE SA and Child SA twamp over twamp-dp's TAP"
  tail -n 5 "$LOG/initiate.log" | sed 's/^/# /'
  tail -n 15 "$LOG/dut/charon.log" | sed 's/^/# dut: /'
  finish
  exit 1
fi

tel() { "$PY" "$TOOL" telemetry "$TEL" "$1"; }
# sa_table: twamp-dp's SA table (telemetry) = the dut's installed Child SA
sa_table() {
  sw dut --list-sas --raw >"$LOG/sas.raw" 2>&1 || return 1
  tel /twamp/ipsec/sas >"$LOG/tel.json" 2>&1 || return 1
  "$PY" - "$LOG/sas.raw" "$LOG/tel.json" "${1:-}" <<'EOF'
import json, re, sys
t = open(sys.argv[1]).read()
want = set()
for m in re.finditer(r"\{name=twamp (.*?)\}", t):
    b = m.group(1)
    if "state=INSTALLED" in b:
        want.add("in:0x" + re.search(r"spi-in=([0-9a-f]{8})", b).group(1))
        want.add("out:0x" + re.search(r"spi-out=([0-9a-f]{8})", b).group(1))
have = set(json.load(open(sys.argv[2])))
print("charon", sorted(want), "twamp-dp", sorted(have))
assert len(want) == 2 and have == want, (want, have)
if sys.argv[3]:
    assert want.isdisjoint(sys.argv[3].split()), "still the old SPIs"
print(" ".join(sorted(want)))
EOF
}
# ike_table OLD-SPI-I: twamp-dp's IKE SAs (key-import "list") = the dut's
# current IKE SA, not OLD-SPI-I
ike_table() {
  sw dut --list-sas --raw >"$LOG/ike.raw" 2>&1 || return 1
  "$PY" - "$LOG/keys.sock" "$LOG/ike.raw" "${1:-}" <<'EOF'
import re, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"hello versions=1 agent=e2e source=test-e2e\nlist\nbye\n")
buf = b""
s.settimeout(3)
try:
    while True:  # the server closes after "bye"
        d = s.recv(65536)
        if not d:
            break
        buf += d
except socket.timeout:
    pass
got = set(re.findall(r"sa type=ike .*?spi-i=([0-9a-f]{16}) spi-r=([0-9a-f]{16})", buf.decode()))
raw = open(sys.argv[2]).read()
want = set(re.findall(r"initiator-spi=([0-9a-f]{16}) responder-spi=([0-9a-f]{16})", raw))
print("charon", want, "twamp-dp", got)
assert len(want) == 1 and got == want, (want, got)
if sys.argv[3]:
    assert sys.argv[3] not in [w[0] for w in want], "still the old IKE SA"
print(list(want)[0][0])
EOF
}
check "twamp-dp's SA table = the dut's Child SA (in + out SPI, from the plugin)" wait_for 10 sa_table
check "twamp-dp offers ikev2 once the plugin pushed the IKE SA" \
  grep -q "mode ikev2 (RFC 7717" "$LOG/app.err"
sa_table >"$LOG/sa1.txt" 2>&1
SPIS1=$(tail -1 "$LOG/sa1.txt")
ike_table >"$LOG/ike1.txt" 2>&1
IKE1=$(tail -1 "$LOG/ike1.txt")

# results_ok FILE COUNT MODE: every packet back, in the mode asked for
results_ok() {
  "$PY" - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
pk = d["packets"]
assert pk["sent"] == n and pk["received"] == n and pk["lost"] == 0, pk
assert d["twamp_ping"]["rejected"]["total"] == 0, d["twamp_ping"]["rejected"]
assert sys.argv[3] in json.dumps(d["session"]), d["session"]
EOF
}
ping_run() { # OUT MODE COUNT: twamp-ping, keys pushed by the peer's plugin
  peer "$PING" -m "$2" -c "$3" -i 0.01 -L 1 -P $T_PORT --source-port $S_PORT \
    --ike-socket "$LOG/ping.sock" --ike-wait 15 --json "$LOG/$1.json" $DUT_V4 \
    >"$LOG/$1.txt" 2>"$LOG/$1.err"
}

# ---- a first session, captured on the peer's wire
ip netns exec $PEER_NS tcpdump -i $PEER_IF --immediate-mode -U -w "$LOG/cap.pcap" host $DUT_V4 \
  2>"$LOG/tcpdump.err" &
CAP=$!
wait_for 5 grep -q listening "$LOG/tcpdump.err"
ping_run run1 auth 50; rc=$?
check "twamp-ping -m auth --ike-socket (RFC 7717) through the tunnel: exit 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$LOG/run1.err" | tail -3
check "50 sent, 50 received, none lost or rejected, mode auth" results_ok "$LOG/run1.json" 50 auth
sleep 0.3
kill -INT "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
CAP=0
tshark -r "$LOG/cap.pcap" -T fields -E separator=, -e ip.src -e frame.protocols \
  -e udp.srcport -e udp.dstport -e esp.spi >"$LOG/wire.csv" 2>"$LOG/tshark.err"
esp_n() { grep "^$1,.*udp:udpencap:esp,4500,4500" "$LOG/wire.csv" | wc -l; }
check "tshark: 50 ESP-in-UDP (4500) test packets to the appliance ($(esp_n $PEER_V4))" \
  test "$(esp_n $PEER_V4)" -ge 50
check "tshark: 50 ESP-in-UDP (4500) replies from the worker ($(esp_n $DUT_V4))" \
  test "$(esp_n $DUT_V4)" -ge 50
check "tshark: no clear TWAMP-Test packet (UDP $T_PORT/$S_PORT) on the wire" \
  sh -c "! grep -q -e ',$T_PORT,' -e ',$S_PORT,' '$LOG/wire.csv'"
check "tshark: TWAMP-Control runs outside the tunnel (TCP 862, RFC 7717 keys)" \
  grep -q "tcp" "$LOG/wire.csv"

# the worker's counters for the Child SA
sa_pk() { tel "/twamp/ipsec/sa,$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["packets"])'; }
IN1=$(echo "$SPIS1" | tr ' ' '\n' | grep '^in:') OUT1=$(echo "$SPIS1" | tr ' ' '\n' | grep '^out:')
check "worker SA $IN1 counted the 50 test packets (got $(sa_pk "$IN1"))" \
  test "$(sa_pk "$IN1")" -ge 50
check "worker SA $OUT1 counted the 50 replies (got $(sa_pk "$OUT1"))" \
  test "$(sa_pk "$OUT1")" -ge 50

# ---- rekeys during a run: IKE SA, then the Child SA
wait_running() {
  "$PY" "$TOOL" telemetry "$TEL" /twamp/ctrl/stats 2>/dev/null |
    "$PY" -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["sessions"] >= 1 else 1)'
}
ping_run run2 enc 500 &
RUN=$!
check "second session (enc, 500 packets) running" wait_for 20 wait_running
sleep 0.5
check "swanctl --rekey --ike during the run" sw peer --rekey --ike meas
sleep 1
check "swanctl --rekey --child during the run" sw peer --rekey --child twamp
wait $RUN; rc=$?
RUN=0
check "the run across both rekeys: exit 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$LOG/run2.err" | tail -3
check "the run across both rekeys: 500 sent, 500 received, none lost, mode enc" \
  results_ok "$LOG/run2.json" 500 enc
check "twamp-dp's SA table follows the rekey: the new Child SA only, old SPIs gone" \
  wait_for 10 sa_table "$SPIS1"
sa_table >"$LOG/sa2.txt" 2>&1
check "the IKE rekey reached twamp-dp: its only IKE SA is charon's new one" \
  wait_for 10 ike_table "$IKE1"
ping_run run3 auth 20; rc=$?
check "a new session keyed by the rekeyed IKE SA: exit 0 (got $rc)" test $rc -eq 0
check "a new session in the new Child SA: 20 sent, 20 received, mode auth" \
  results_ok "$LOG/run3.json" 20 auth
check "no key in twamp-dp's log" sh -c "! grep -qi 'sk-d=\|key=[0-9a-f]' '$LOG/app.err'"

if [ "$FAILED" -ne 0 ]; then
  for s in dut peer; do
    echo "# --- $s charon.log (tail)"
    tail -n 15 "$LOG/$s/charon.log" 2>/dev/null | sed 's/^/# /'
  done
  echo "# --- twamp-dp (tail)"
  tail -n 15 "$LOG/app.err" | sed 's/^/# /'
fi
finish
