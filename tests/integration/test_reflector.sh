#!/usr/bin/env bash
# twamp-dp as a reflector end to end: the test bed's net_af_packet port, light
# ports for TWAMP Light open/auth/enc and STAMP open/auth, a kernel-socket
# sender in the peer namespace (twl_sender.py, its own crypto). Every reply is
# checked field by field over IPv4 and IPv6; the unauthenticated replies are
# captured and decoded by tshark; malformed packets, and packets from a
# multicast or broadcast source (martian_src.py, scapy), must be counted and not
# answered; ping goes through the exception path; SIGTERM stops it with exit 0.
# Prints TAP; needs root; about 30 s.
#
#   tests/integration/test_reflector.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
SENDER="$top/tests/integration/twl_sender.py"
# a test bed of its own, so other suites and developers can run beside it
export TW_TB=${TW_TB:-rfl}
TB=$TW_TB
DUT_V4=198.18.0.1 DUT_V6=2001:2::1 PEER_V4=198.18.0.2 PEER_V6=2001:2::2
P_LIGHT_OPEN=8620 P_LIGHT_AUTH=8621 P_LIGHT_ENC=8622 P_STAMP_OPEN=8623 P_STAMP_AUTH=8624
P_STATIC=8625
# test keys (not secret): TWAMP Light AES-128 key | HMAC key, STAMP HMAC key
LIGHT_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
STAMP_KEY=c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf
COUNT=10
APP=0 CAP=0

# shellcheck source=tests/integration/tap_lib.sh
. "$top/tests/integration/tap_lib.sh"
# relay "ok - ..." / "not ok - ..." lines of a helper as numbered TAP
relay() {
  local line any=0
  while IFS= read -r line; do
    case "$line" in
      "ok - "*) ok "${line#ok - }"; any=1 ;;
      "not ok - "*) notok "${line#not ok - }"; any=1 ;;
      *) echo "# $line" ;;
    esac
  done < <("$@" 2>&1)
  [ "$any" -eq 1 ] || notok "$* printed no result"
}
peer() { ip netns exec $TB-peer "$@"; }
ctl_json() { "$CTL" -p "$PREFIX" stats --json; }
tb_stop() {
  [ "$CAP" -ne 0 ] && kill -INT "$CAP" 2>/dev/null
  stop_pids "$APP"
}
tb_open refl "${1:-}" twamp-dp twamp-ctl

# the configuration under test, its key file private (tb_open: umask 077)
cat >"$LOG/keys.yaml" <<EOF
secrets:
  light-key: $LIGHT_KEY
  stamp-key: $STAMP_KEY
EOF
cat >"$LOG/reflector.yaml" <<EOF
eal: [--no-huge, -m, "256", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: refl
    device: net_af_packet0,iface=$TB-dut
    ipv4: [$DUT_V4/24]
    ipv6: ["$DUT_V6/64"]
workers:
  lcores: [1]
reflector:
  control:
    enabled: false
    keys: keys.yaml
  light:
    - {port: $P_LIGHT_OPEN, protocol: twamp-light, mode: open}
    - {port: $P_LIGHT_AUTH, protocol: twamp-light, mode: auth, key_id: light-key}
    - {port: $P_LIGHT_ENC, protocol: twamp-light, mode: enc, key_id: light-key}
    - {port: $P_STAMP_OPEN, protocol: stamp, mode: open}
    - {port: $P_STAMP_AUTH, protocol: stamp, mode: auth, key_id: stamp-key}
  static_sessions:
    - {peer: $PEER_V4, port: $P_STATIC, protocol: stamp, mode: open, stateful: true}
    - {peer: "$PEER_V6", port: $P_STATIC, protocol: twamp-light, mode: auth, key_id: light-key}
EOF
umask 022

# start-up failures: exit 1 with a message that says what is wrong
printf 'ports: 3\n' >"$LOG/bad.yaml"
"$DP" -c "$LOG/bad.yaml" >/dev/null 2>"$LOG/bad.err"; rc=$?
check "an invalid configuration: exit 1 (got $rc), errors as file:line:col" \
  sh -c "[ $rc -eq 1 ] && grep -q '^$LOG/bad.yaml:1:8: ' '$LOG/bad.err'"
sed -e "s/--file-prefix, $PREFIX/--file-prefix, $PREFIX-bad/" -e "s/iface=$TB-dut/iface=tw-nosuch/" \
  "$LOG/reflector.yaml" >"$LOG/noport.yaml"
"$DP" -c "$LOG/noport.yaml" >/dev/null 2>"$LOG/noport.err"; rc=$?
rm -rf "/var/run/dpdk/$PREFIX-bad"
check "a port that cannot start: exit 1 (got $rc), the error names the port and device" \
  sh -c "[ $rc -eq 1 ] && grep -q 'twamp-dp: port refl (net_af_packet0,iface=tw-nosuch)' '$LOG/noport.err'"

"$TESTBED" down >/dev/null 2>&1
check "test bed up" "$TESTBED" up
check "key file is mode 600" test "$(stat -c %a "$LOG/keys.yaml")" = 600
check "test configuration passes twamp-dp --check without warnings" \
  sh -c "'$DP' --check '$LOG/reflector.yaml' >/dev/null 2>'$LOG/check.err' && ! grep -q warning '$LOG/check.err'"

# --idle-us: the polling worker naps when idle, so the 2-core machine stays usable
ip netns exec $TB-dut "$DP" -c "$LOG/reflector.yaml" --idle-us 100 2>"$LOG/app.err" &
APP=$!
for _ in $(seq 1 200); do
  grep -q "twamp-dp: running:" "$LOG/app.err" 2>/dev/null && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.1
done
if grep -q "twamp-dp: running:" "$LOG/app.err"; then ok "twamp-dp starts"; else
  notok "twamp-dp starts"; sed 's/^/# /' "$LOG/app.err"; fi
check "start-up log names the port, its TAP and addresses" \
  grep -q "port refl: net_af_packet0 .*TAP tw-refl, addresses $DUT_V4/24 $DUT_V6/64" "$LOG/app.err"
check "start-up log lists the 5 listening UDP ports" \
  test "$(grep -c 'twamp-dp: listening: UDP 862[0-4]' "$LOG/app.err")" -eq 5
check "start-up log lists the 2 static sessions" \
  test "$(grep -c "twamp-dp: static session [0-9]*: .* -> .* port $P_STATIC" "$LOG/app.err")" -eq 2
check "every log line (twamp-dp's and DPDK's) starts with a UTC timestamp" \
  sh -c "grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (twamp-dp|dpdk): ' '$LOG/app.err' | grep -q . && exit 1; exit 0"

# exception path: the kernel answers ICMP through the TAP (and ARP/ND, which
# the UDP tests below need anyway)
check "ping $DUT_V4 through the TAP" peer ping -c 2 -i 0.2 -W 2 $DUT_V4
check "ping $DUT_V6 through the TAP" peer ping -6 -c 2 -i 0.2 -W 2 $DUT_V6

# capture the unauthenticated replies for tshark
ip netns exec $TB-peer tcpdump -i $TB-peer0 --immediate-mode -U -w "$LOG/cap.pcap" \
  "udp and src portrange $P_LIGHT_OPEN-$P_STATIC" 2>"$LOG/tcpdump.err" &
CAP=$!
for _ in $(seq 1 50); do grep -q listening "$LOG/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

for dst in $DUT_V4 $DUT_V6; do
  relay peer "$PY" "$SENDER" check $dst $P_LIGHT_OPEN --proto light --mode open --count $COUNT
  relay peer "$PY" "$SENDER" check $dst $P_LIGHT_AUTH --proto light --mode auth --key $LIGHT_KEY --count $COUNT
  relay peer "$PY" "$SENDER" check $dst $P_LIGHT_ENC --proto light --mode enc --key $LIGHT_KEY --count $COUNT
  relay peer "$PY" "$SENDER" check $dst $P_STAMP_OPEN --proto stamp --mode open --count $COUNT
  relay peer "$PY" "$SENDER" check $dst $P_STAMP_AUTH --proto stamp --mode auth --key $STAMP_KEY --count $COUNT
done
# static sessions: a stateful STAMP session (the reflector's own sequence
# numbers) for the IPv4 peer, an authenticated TWAMP Light one for the IPv6 peer
relay peer "$PY" "$SENDER" check $DUT_V4 $P_STATIC --proto stamp --mode open --own-seq --count $COUNT
relay peer "$PY" "$SENDER" check $DUT_V6 $P_STATIC --proto light --mode auth --key $LIGHT_KEY --count $COUNT

sleep 0.3
kill -INT "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
CAP=0
tshark -r "$LOG/cap.pcap" -o udp.check_checksum:TRUE \
  -d udp.port==$P_LIGHT_OPEN,twamp.test -d udp.port==$P_STAMP_OPEN,twamp.test -Y twamp.test \
  -T fields -E separator=, -e udp.srcport -e ip.src -e ipv6.src -e udp.length \
  -e twamp.test.seq_number -e twamp.test.sender_seq_number -e twamp.test.sender_ttl \
  -e udp.checksum.status >"$LOG/tshark.csv" 2>"$LOG/tshark.err"
# every reply of every mode: IPv4 header and UDP checksums verified by tshark
tshark -r "$LOG/cap.pcap" -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE \
  -T fields -E separator=, -e udp.srcport -e ip.checksum.status -e udp.checksum.status \
  -e ip.ttl -e ipv6.hlim >"$LOG/all.csv" 2>>"$LOG/tshark.err"
want=$((2 * 5 * COUNT + 2 * COUNT))
got=$(wc -l <"$LOG/all.csv")
check "captured all $want replies (5 light ports x 2 families + 2 static sessions; got $got)" \
  test "$got" -eq $want
check "tshark: every reply has a good UDP checksum" \
  awk -F, '$3!=1 {bad=1} END {exit bad}' "$LOG/all.csv"
check "tshark: every IPv4 reply has a good header checksum" \
  awk -F, '$2!="" && $2!=1 {bad=1} END {exit bad}' "$LOG/all.csv"
check "tshark: every reply leaves with TTL / Hop Limit 255" \
  awk -F, '$4$5!=255 {bad=1} END {exit bad}' "$LOG/all.csv"
for port in $P_LIGHT_OPEN $P_STAMP_OPEN; do
  want=$((2 * COUNT))
  check "tshark decodes $want TWAMP-Test replies from UDP $port (IPv4 and IPv6)" \
    test "$(grep -c "^$port," "$LOG/tshark.csv")" -eq $want
  check "tshark: replies from UDP $port have Sender Sequence Number = Sequence Number" \
    awk -F, -v p=$port '$1==p && $5!=$6 {bad=1} END {exit bad}' "$LOG/tshark.csv"
  check "tshark: replies from UDP $port have Sender TTL 255" \
    awk -F, -v p=$port '$1==p && $7!=255 {bad=1} END {exit bad}' "$LOG/tshark.csv"
  check "tshark: replies from UDP $port have a good UDP checksum" \
    awk -F, -v p=$port '$1==p && $8!=1 {bad=1} END {exit bad}' "$LOG/tshark.csv"
done

# malformed and forged packets: never answered, counted by reason
ctl_json >"$LOG/before.json" 2>"$LOG/ctl.err"
check "twamp-ctl stats --json answers" test -s "$LOG/before.json"
for dst in $DUT_V4 $DUT_V6; do
  relay peer "$PY" "$SENDER" malformed $dst $P_LIGHT_OPEN --proto light --kind short --count 5 --wait 0.3
  relay peer "$PY" "$SENDER" malformed $dst $P_STAMP_OPEN --proto stamp --kind short --count 5 --wait 0.3
  relay peer "$PY" "$SENDER" malformed $dst $P_LIGHT_AUTH --proto light --mode auth --key $LIGHT_KEY --kind badhmac --count 5 --wait 0.3
  relay peer "$PY" "$SENDER" malformed $dst $P_LIGHT_ENC --proto light --mode enc --key $LIGHT_KEY --kind badhmac --count 5 --wait 0.3
  relay peer "$PY" "$SENDER" malformed $dst $P_STAMP_AUTH --proto stamp --mode auth --key $STAMP_KEY --kind badhmac --count 5 --wait 0.3
  relay peer "$PY" "$SENDER" malformed $dst $P_LIGHT_AUTH --proto light --mode auth --key $LIGHT_KEY --kind garbage --count 5 --wait 0.3
  relay peer "$PY" "$SENDER" malformed $dst $P_STAMP_AUTH --proto stamp --mode auth --key $STAMP_KEY --kind garbage --count 5 --wait 0.3
done
ctl_json >"$LOG/after.json" 2>>"$LOG/ctl.err"
# per light port (twamp-ctl's /twamp/app/reflector): drops by reason went up by
# what was sent: 2 families x 5 packets per kind
delta() { # PORT COUNTER
  "$PY" - "$LOG/before.json" "$LOG/after.json" "$1" "$2" <<'EOF'
import json, sys
def get(p):
    with open(p) as f:
        d = json.load(f)
    return d["other"]["/twamp/app/reflector"]["light"][sys.argv[3]].get(sys.argv[4], 0)
print(get(sys.argv[2]) - get(sys.argv[1]))
EOF
}
count_is() { # PORT COUNTER WANT
  local got
  got=$(delta "$1" "$2" 2>>"$LOG/steps")
  echo "port $1 $2: +$got, want +$3" >>"$LOG/steps"
  [ "$got" = "$3" ]
}
check "UDP $P_LIGHT_OPEN: 10 short packets counted as drop_too_short" count_is $P_LIGHT_OPEN drop_too_short 10
check "UDP $P_STAMP_OPEN: 10 short packets counted as drop_too_short" count_is $P_STAMP_OPEN drop_too_short 10
check "UDP $P_LIGHT_AUTH: 10 bad HMACs + 10 garbage counted as drop_bad_hmac" count_is $P_LIGHT_AUTH drop_bad_hmac 20
check "UDP $P_LIGHT_ENC: 10 bad HMACs counted as drop_bad_hmac" count_is $P_LIGHT_ENC drop_bad_hmac 10
check "UDP $P_STAMP_AUTH: 10 bad HMACs + 10 garbage counted as drop_bad_hmac" count_is $P_STAMP_AUTH drop_bad_hmac 20
check "UDP $P_LIGHT_AUTH: no reply sent for them (tx unchanged)" count_is $P_LIGHT_AUTH tx 0
check "twamp-ctl stats --json: each static session counted its $COUNT packets" \
  "$PY" -c "import json,sys; s=json.load(open('$LOG/after.json'))['other']['/twamp/app/reflector']['sessions']; sys.exit(0 if len(s) == 2 and all(v['rx'] == $COUNT and v['tx'] == $COUNT for v in s.values()) else 1)"
check "twamp-ctl stats prints ports, counters and turnaround" \
  sh -c "'$CTL' -p '$PREFIX' stats | grep -q '^rx ' && '$CTL' -p '$PREFIX' stats | grep -q 'turnaround'"
check "twamp-ctl stats --json: reflector turnaround counted the replies" \
  "$PY" -c "import json,sys; t=json.load(open('$LOG/after.json'))['turnaround']; sys.exit(0 if t['count'] >= 100 and 0 < t['p50_ns'] <= t['max_ns'] else 1)"
check "dpdk-telemetry.py reads /twamp/dp/stats" \
  sh -c "echo /twamp/dp/stats | dpdk-telemetry.py -f '$PREFIX' | grep -q '\"rx\"'"

# forged sources a reply must never go to (RFC 1122 §3.2.1.3, RFC 4291 §2.7):
# multicast, limited broadcast, the broadcast of the port's 198.18.0.0/24,
# IPv6 all-nodes; not answered, each counted as drop_src_addr by the data plane
MAC=$(ip -n $TB-peer neigh show $DUT_V4 | awk '{for (i=1;i<NF;i++) if ($i=="lladdr") print $(i+1)}')
ctl_json >"$LOG/mbefore.json" 2>>"$LOG/ctl.err"
relay peer "$PY" "$top/tests/integration/martian_src.py" $TB-peer0 "$MAC" $P_LIGHT_OPEN \
  --dut4 $DUT_V4 --peer4 $PEER_V4 --dut6 $DUT_V6 --peer6 $PEER_V6 \
  --src 224.0.0.9 --src 255.255.255.255 --src 198.18.0.255 --src ff02::1 --count 3
ctl_json >"$LOG/mafter.json" 2>>"$LOG/ctl.err"
check "twamp-ctl stats --json: drop_src_addr rose by the 12 forged packets" \
  "$PY" -c "import json,sys; g=lambda p: json.load(open(p))['stats']['drop_src_addr']; d=g('$LOG/mafter.json')-g('$LOG/mbefore.json'); print('# +%d' % d); sys.exit(d != 12)"
check "twamp-ctl stats shows the drop reason: drop_src_addr 12 (total)" \
  sh -c "'$CTL' -p '$PREFIX' stats | grep -Eq '^drop_src_addr +12 '"

kill -TERM "$APP" 2>/dev/null
rc=124
for _ in $(seq 1 100); do
  if ! kill -0 "$APP" 2>/dev/null; then wait "$APP"; rc=$?; break; fi
  sleep 0.1
done
APP=0
check "SIGTERM: clean stop, exit 0 (got $rc)" test "$rc" -eq 0
check "stop logged: SIGTERM, workers and ports stopped, exit 0" \
  sh -c "grep -q 'SIGTERM: stopping' '$LOG/app.err' && grep -q 'workers stopped, ports stopped' '$LOG/app.err' && grep -q 'exit 0' '$LOG/app.err'"
if [ "$FAILED" -ne 0 ]; then
  echo "# twamp-dp log:"
  sed 's/^/#   /' "$LOG/app.err"
fi
check "test bed down" "$TESTBED" down
finish
