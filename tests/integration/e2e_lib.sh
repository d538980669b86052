# shellcheck shell=bash
# Sourced by tests/integration/test_e2e_ipsec*.sh: twamp-dp, two charons
# (twamp-keys plugin) and twamp-ping on one test bed (docs/strongswan.md
# "End to end with twamp-dp"). The caller sets BUILD (argument 1) and
# E2E_TB (the test bed's default name; TW_TB overrides it), then:
#   e2e_dp_yaml MODES [IKEV2]   twamp-dp's configuration; MODES of the
#                            server, IKEV2 the ipsec.ikev2 map's entries
#   e2e_swan CTL             both charons' configuration: Child SA "twamp"
#                            (exported to twamp-dp), with CTL=ctl also a
#                            Child SA "ctl" for TCP 861-862 (not exported).
#                            E2E_ESP: twamp's esp_proposals (aes128gcm16);
#                            E2E_DRAFT=yes: both plugins send draft_keys and
#                            the peer's also exports "twamp*" to twamp-ping
#   e2e_start                test bed, twamp-dp, charons, table-220 rules
#                            gone, peer's route for the test ports; exits
#                            the script when twamp-dp does not start
#   dp_start / dp_stop       twamp-dp alone (after a new e2e_dp_yaml): the
#                            dut's plugin reconnects and resyncs its SAs
#                            (dp_stop from tap_lib.sh)
#   e2e_initiate CHILD       the peer initiates CHILD (exits on failure)
#   sw SIDE ARGS...          swanctl on SIDE's charon (dut, peer)
#   tel CMD                  one telemetry reply of twamp-dp (JSON)
#   tel_get CMD FIELD        one field of it
#   sa_table [OLD-SPIS]      twamp-dp's SA table = the dut's Child SA twamp
#   ike_table [OLD-SPI-I]    twamp-dp's IKE SAs = the dut's IKE SA
#   child_sa SIDE NAME FIELD...   fields (spi-in, ...) of SIDE's newest
#                            installed Child SA NAME
#   results_ok FILE N MODE   twamp-ping's JSON: N sent, N back, MODE (tap_lib.sh)
#   ping_run OUT MODE N [ARGS...]   twamp-ping from the peer, test ports
#                            T_PORT/S_PORT; --ike-socket unless MODE open;
#                            NO_TP=1: no -P (OWAMP)
#   ping_ok OUT MODE N WHAT [ARGS...]   ping_run and its TAP lines
#   run_ok OUT MODE N WHAT   TAP lines of a ping_run in the background (RUN)
#   cap_start IFACE NS FILE / cap_stop   tcpdump of host DUT_V4 / stop all
#   wire_csv PCAP CSV        tshark fields: src, protocols, ports, ESP SPI
#   esp_n CSV SRC / no_clear_test CSV   ESP-in-UDP from SRC / no test port
#   spi_n CSV SRC SPI        ESP-in-UDP from SRC with SPI (hex, no 0x)
#   sa_pk NAME               the worker's packet counter of SA NAME
#   wait_running             a session runs in twamp-dp's control server
#   wait_for SEC CMD...      poll until CMD succeeds
#   e2e_finish               logs on failure, the plan, the exit status
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
PING="$BUILD/app/twamp-ping/twamp-ping"
PY=/usr/bin/python3
TESTBED="$top/scripts/testbed.sh"
TOOL="$top/tests/integration/peer_tool.py"
export TW_TB=${TW_TB:-$E2E_TB}
DUT_NS=$TW_TB-dut PEER_NS=$TW_TB-peer PEER_IF=$TW_TB-peer0
DUT_V4=198.18.0.1 PEER_V4=198.18.0.2
TAP=tw-refl # twamp-dp's TAP for its port "refl", in DUT_NS
T_PORT=20862 S_PORT=40862 # reflector and sender test ports (in the Child SA)
PREFIX=$TW_TB-$$
TEL=/var/run/dpdk/$PREFIX/dpdk_telemetry.v2
CAP="" # the tcpdump pids
APP=0 C_DUT=0 C_PEER=0 RUN=0
LOG=$(mktemp -d "/tmp/tw-$TW_TB.XXXXXX")
chmod 700 "$LOG"
# shellcheck source=tests/integration/tap_lib.sh
. "$top/tests/integration/tap_lib.sh"

peer() { ip netns exec "$PEER_NS" "$@"; }
cleanup() {
  local p
  for p in $CAP; do kill -INT "$p" 2>/dev/null; done
  stop_pids "$RUN" "$C_DUT" "$C_PEER"
  dp_stop
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

wait_for() {
  local t=$1 i
  shift
  for ((i = 0; i < t * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# ---- twamp-dp: key import, TWAMP server (and OWAMP on 861), workers
# terminate ESP
e2e_dp_yaml() {
  (umask 077
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
    modes: [$1]
ipsec:
  key_import: {socket: $LOG/keys.sock}${2:+
  ikev2: {$2\}}
EOF
  )
}

# ---- charon configuration, per side:
# SIDE IP PEER-IP PLUGIN-SOCKET EXPORT LOCAL_TS REMOTE_TS [CTL_LTS CTL_RTS]
swan_conf() {
  local s=$1 ip=$2 pip=$3 sock=$4 children=$5 lts=$6 rts=$7 d=$LOG/$1 ctl=""
  [ $# -ge 9 ] && ctl="
			ctl {
				local_ts = $8
				remote_ts = $9
				esp_proposals = aes128gcm16
				rekey_time = 0
			}"
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
			draft_keys = ${E2E_DRAFT:-no}
			# the dut's: twamp-dp's workers send on the exported SAs;
			# twamp-ping (the peer's) never does, and is new every run
			rekey_resynced = $([ "$s" = dut ] && echo yes || echo no)
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
				esp_proposals = ${E2E_ESP:-aes128gcm16}
				rekey_time = 0
			}$ctl
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
# the dut exports the measurement Child SA (twamp) to twamp-dp's workers,
# never "ctl" (the plugin's children pattern); the peer's plugin exports
# the IKE SA for twamp-ping and, for the seed draft's profile (E2E_DRAFT),
# the Child SA twamp too (the binding and its keys; its libipsec keeps the
# SA itself)
e2e_swan() {
  local dctl=() pctl=() pch=""
  [ "${E2E_DRAFT:-no}" = yes ] && pch="twamp*"
  if [ "${1:-}" = ctl ]; then
    dctl=("$DUT_V4/32[tcp/861-862]" "$PEER_V4/32[tcp]")
    pctl=("$PEER_V4/32[tcp]" "$DUT_V4/32[tcp/861-862]")
  fi
  (umask 077
   swan_conf dut $DUT_V4 $PEER_V4 "$LOG/keys.sock" "twamp*" \
     "$DUT_V4/32[udp/20000-29999]" "$PEER_V4/32[udp]" "${dctl[@]}"
   swan_conf peer $PEER_V4 $DUT_V4 "$LOG/ping.sock" "$pch" \
     "$PEER_V4/32[udp]" "$DUT_V4/32[udp/20000-29999]" "${pctl[@]}")
}

sw() { local s=$1; shift; swanctl "$@" -u "unix://$LOG/$s/vici.sock"; }

# kernel-libipsec routes each Child SA's remote selector into its TUN
# (table 220, ignoring install_routes); here the selectors name the IKE
# peers, so that would swallow IKE, ESP-in-UDP and TWAMP-Control: drop the
# rule on both sides (charon adds it once, at start)
no220() { ip -n "$1" rule show | grep -q "lookup 220" && ip -n "$1" rule del pref 220; }

e2e_start() {
  "$TESTBED" down >/dev/null 2>&1
  check "test bed $TW_TB up" "$TESTBED" up
  dp_start

  STRONGSWAN_CONF=$LOG/dut/strongswan.conf ip netns exec "$DUT_NS" \
    /usr/sbin/charon-systemd >"$LOG/dut/charon.out" 2>&1 &
  C_DUT=$!
  STRONGSWAN_CONF=$LOG/peer/strongswan.conf ip netns exec "$PEER_NS" \
    /usr/sbin/charon-systemd >"$LOG/peer/charon.out" 2>&1 &
  C_PEER=$!
  both_up() { sw dut --stats && sw peer --stats; }
  check "two charons answer on vici (dut on twamp-dp's TAP, peer on the veth)" wait_for 20 both_up
  check "both load their connections and PSK" \
    sh -c "swanctl --load-all --file $LOG/dut/swanctl.conf -u unix://$LOG/dut/vici.sock &&
           swanctl --load-all --file $LOG/peer/swanctl.conf -u unix://$LOG/peer/vici.sock"
  check "charons' table-220 rules removed (dut: the workers own the Child SA)" \
    bash -c "$(declare -f wait_for no220); wait_for 10 no220 $DUT_NS && wait_for 10 no220 $PEER_NS"
  # the peer's test traffic to the reflector's test ports goes into
  # libipsec's TUN (ipsec0); IKE (500/4500) does not
  peer sysctl -qw net.ipv4.conf.all.rp_filter=0
  check "peer: libipsec's TUN ipsec0 exists" wait_for 10 ip -n "$PEER_NS" link show ipsec0
  peer sysctl -qw net.ipv4.conf.ipsec0.rp_filter=0
  peer ip link set ipsec0 up
  check "peer: policy route for UDP to $DUT_V4:20000-29999 via ipsec0" \
    sh -c "ip -n $PEER_NS route add $DUT_V4/32 dev ipsec0 src $PEER_V4 table 100 &&
           ip -n $PEER_NS rule add to $DUT_V4 ipproto udp dport 20000-29999 lookup 100 pref 100"
}

# dp_start: twamp-dp with $LOG/twamp-dp.yaml (exits the script when it
# does not start); its key-import socket is new, the dut's plugin connects
# within reconnect_max
dp_start() {
  dp_stop
  rm -f "$LOG/keys.sock"
  ip netns exec "$DUT_NS" "$DP" -c "$LOG/twamp-dp.yaml" --idle-us 100 2>"$LOG/app.err" &
  APP=$!
  app_up() { grep -q "twamp-dp: running:" "$LOG/app.err" && [ -S "$LOG/keys.sock" ]; }
  if wait_for 20 app_up; then ok "twamp-dp runs and serves its key-import socket${1:+ ($1)}"; else
    notok "twamp-dp runs and serves its key-import socket${1:+ ($1)}"
    sed 's/^/# /' "$LOG/app.err" | tail -5
    finish
    exit 1
  fi
}

e2e_initiate() {
  if sw peer --initiate --child "$1" --timeout 15 >"$LOG/initiate.log" 2>&1; then
    ok "peer initiates Child SA $1 over twamp-dp's TAP"
  else
    notok "peer initiates Child SA $1 over twamp-dp's TAP"
    tail -n 5 "$LOG/initiate.log" | sed 's/^/# /'
    tail -n 15 "$LOG/dut/charon.log" | sed 's/^/# dut: /'
    finish
    exit 1
  fi
}

tel() { "$PY" "$TOOL" telemetry "$TEL" "$1"; }
tel_get() { tel "$1" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
# sa_table: twamp-dp's SA table (telemetry) = the dut's installed Child SA
# twamp (no other Child SA); prints "in:0x... out:0x..."
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

# child_sa SIDE NAME FIELD...: fields (spi-in, spi-out, packets-in, ...) of
# SIDE's installed Child SA NAME (the newest when a rekey left two)
child_sa() {
  sw "$1" --list-sas --raw >"$LOG/child.raw" 2>&1 || return 1
  shift
  "$PY" - "$LOG/child.raw" "$@" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
got = [b for b in re.findall(r"\{name=%s (.*?)\}" % re.escape(sys.argv[2]), t)
       if "state=INSTALLED" in b]
assert got, "no installed Child SA " + sys.argv[2]
b = max(got, key=lambda b: int(re.search(r"uniqueid=(\d+)", b).group(1)))
print(" ".join(re.search(r"\b%s=(\S+)" % f, b).group(1) for f in sys.argv[3:]))
EOF
}

ping_run() { # OUT MODE COUNT [ARGS...]: twamp-ping, keys pushed by the peer's plugin
  local out=$1 mode=$2 n=$3 ike=(--ike-socket "$LOG/ping.sock" --ike-wait 15) tp=(-P $T_PORT)
  shift 3
  [ "$mode" = open ] && ike=()
  [ -n "${NO_TP:-}" ] && tp=() # OWAMP: the server picks the port
  peer "$PING" -m "$mode" -c "$n" -i 0.01 -L 1 "${tp[@]}" --source-port $S_PORT \
    "${ike[@]}" --json "$LOG/$out.json" "$@" $DUT_V4 >"$LOG/$out.txt" 2>"$LOG/$out.err"
}

# ping_ok OUT MODE N WHAT [ARGS...]: ping_run, then two TAP lines: exit 0,
# every packet back in MODE
ping_ok() {
  local out=$1 mode=$2 n=$3 what=$4 rc
  shift 4
  ping_run "$out" "$mode" "$n" "$@"; rc=$?
  ping_checks "$out" "$mode" "$n" "$what" $rc
}
# run_ok OUT MODE N WHAT: the same for ping_run started in the background
# (RUN = its pid)
run_ok() {
  local rc
  wait "$RUN"; rc=$?
  RUN=0
  ping_checks "$1" "$2" "$3" "$4" $rc
}
ping_checks() { # OUT MODE N WHAT RC
  check "$4: exit 0 (got $5)" test "$5" -eq 0
  [ "$5" -eq 0 ] || sed 's/^/# /' "$LOG/$1.err" | tail -3
  check "$4: $3 sent, $3 received, none lost or rejected, mode $2" \
    results_ok "$LOG/$1.json" "$3" "$2"
}

cap_start() { # IFACE NS PCAP: capture host DUT_V4 on IFACE in NS
  ip netns exec "$2" tcpdump -i "$1" --immediate-mode -U -w "$3" host $DUT_V4 \
    2>"$3.err" &
  CAP="$CAP $!"
  wait_for 5 grep -q listening "$3.err"
}
cap_stop() { # every capture
  local p
  sleep 0.3
  for p in $CAP; do
    kill -INT "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  CAP=""
}
wire_csv() { # PCAP CSV
  tshark -r "$1" -T fields -E separator=, -e ip.src -e frame.protocols \
    -e udp.srcport -e udp.dstport -e esp.spi >"$2" 2>"$2.err"
}
# esp_n CSV SRC: ESP-in-UDP 4500/4500 packets from SRC
esp_n() { grep "^$2,.*udp:udpencap:esp,4500,4500" "$1" | wc -l; }
spi_n() { grep -c "^$2,.*udp:udpencap:esp,4500,4500,0x$3\$" "$1"; }
# no_clear_test CSV: no UDP from or to the test ports
no_clear_test() { ! grep -q -e ",$T_PORT," -e ",$S_PORT," "$1"; }
# the worker's packet counter of one SA (in:0x... / out:0x...)
sa_pk() { tel_get "/twamp/ipsec/sa,$1" packets; }
# a TWAMP-Control session is running in twamp-dp's control server
wait_running() {
  tel /twamp/ctrl/stats 2>/dev/null |
    "$PY" -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["sessions"] >= 1 else 1)'
}

e2e_finish() {
  if [ "$FAILED" -ne 0 ]; then
    for s in dut peer; do
      echo "# --- $s charon.log (tail)"
      tail -n 15 "$LOG/$s/charon.log" 2>/dev/null | sed 's/^/# /'
    done
    echo "# --- twamp-dp (tail)"
    tail -n 15 "$LOG/app.err" | sed 's/^/# /'
  fi
  finish
}
