#!/usr/bin/env bash
# twamp-dp client <-> twamp-dp server: full TWAMP (RFC 5357) between two
# appliances. Two namespaces (snt-a, snt-b) joined by one veth pair, each
# end driven by a twamp-dp through net_af_packet with a TAP for the kernel:
# A runs sender.sessions with protocol twamp (TWAMP-Control client from
# lib/control on a thread, then the paced stream from the data plane), B
# runs reflector.control (the TWAMP server) and reflects in its worker. Open,
# authenticated and encrypted, IPv4 and IPv6, with the RFC 5938 / 6038 /
# 7750 options; every results file must show all packets back and a SID.
# OWAMP too: A sends as OWAMP Control-Client (protocol owamp) to B's OWAMP
# server on reflector.control.owamp_port, stops and fetches B's records.
# Prints TAP; needs root; about 20 s.
#
#   tests/integration/test_sender_twamp.sh BUILD_DIR
# (KEEP_LOG=DIR copies the logs and results there before cleaning up)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
CTL="$BUILD/app/twamp-ctl/twamp-ctl"
PY=/usr/bin/python3
NS_A=snt-a NS_B=snt-b IF_A=snt-a0 IF_B=snt-b0
A_V4=198.51.100.1 B_V4=198.51.100.2 A_V6=2001:db8:5::1 B_V6=2001:db8:5::2
PREFIX=tw-snt-$$
COUNT=40

PA=0 PB=0
LOG=$(mktemp -d /tmp/tw-snt.XXXXXX)

# shellcheck source=tests/integration/tap_lib.sh
. "$top/tests/integration/tap_lib.sh"

cleanup() {
  stop_pids "$PA" "$PB"
  [ -n "${KEEP_LOG:-}" ] && cp -r "$LOG" "$KEEP_LOG"
  bed_down
  rm -rf "$LOG" "/var/run/dpdk/$PREFIX-a" "/var/run/dpdk/$PREFIX-b"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ] || [ ! -x "$DP" ] || [ ! -x "$CTL" ]; then
  echo "1..1"
  echo "ok 1 - # SKIP needs root, $DP and $CTL"
  exit 0
fi

check "two namespaces joined by a veth pair" bed_up

umask 077
cat >"$LOG/keys.yaml" <<EOF
keys:
  lab: "test passphrase, not secret"
  other: "the server's passphrase"
EOF
cat >"$LOG/keys-a.yaml" <<EOF
keys:
  lab: "test passphrase, not secret"
  other: "not the server's passphrase"
EOF
umask 022
{ bed_config b $IF_B $B_V4 $B_V6 $PREFIX-b; cat <<EOF
reflector:
  control:
    listen: ["$B_V4:862", "[$B_V6]:862"]
    modes: [open, auth, enc]
    keys: keys.yaml
    owamp_port: 8610
EOF
} >"$LOG/b.yaml"
{ bed_config a $IF_A $A_V4 $A_V6 $PREFIX-a; cat <<EOF
reflector:
  control: {enabled: false, keys: keys-a.yaml}
sender:
  sessions:
    - {name: open-v4, peer: $B_V4, protocol: twamp, count: $COUNT, interval_us: 1000}
    - {name: auth-v6, peer: "$B_V6", protocol: twamp, mode: auth, key_id: lab, count: $COUNT, interval_us: 1000}
    - {name: enc-v4, peer: $B_V4, protocol: twamp, mode: enc, key_id: lab, count: $COUNT, rate_pps: 1000, schedule: poisson}
    - {name: enc-v6, peer: "$B_V6", protocol: twamp, mode: enc, key_id: lab, count: $COUNT, interval_us: 1000, padding: 200, dscp: 34}
    - {name: badpass, peer: $B_V4, protocol: twamp, mode: auth, key_id: other, count: 5}
    - {name: noserver, peer: $B_V4, peer_port: 863, protocol: twamp, count: 5}
    - {name: opts-v4, peer: $B_V4, protocol: twamp, count: $COUNT, interval_us: 1000, dscp: EF, ecn: ect0,
       options: [individual_session_control, reflect_octets, symmetrical_size, dscp_ecn], reflect_padding: 16}
    - {name: opts-v6, peer: "$B_V6", protocol: twamp, mode: enc, key_id: lab, count: $COUNT, interval_us: 1000,
       options: [individual_session_control, reflect_octets], reflect_padding: 8}
    - {name: sym-v4, peer: $B_V4, protocol: twamp, mode: auth, key_id: lab, count: $COUNT, interval_us: 1000,
       options: [symmetrical_size, dscp_ecn]}
    - {name: ow-open-v4, peer: $B_V4, peer_port: 8610, protocol: owamp, count: $COUNT, interval_us: 1000}
    - {name: ow-auth-v6, peer: "$B_V6", peer_port: 8610, protocol: owamp, mode: auth, key_id: lab,
       count: $COUNT, rate_pps: 1000, schedule: poisson}
    - {name: ow-enc-v4, peer: $B_V4, peer_port: 8610, protocol: owamp, mode: enc, key_id: lab,
       count: $COUNT, interval_us: 1000, padding: 100}
    - {name: ow-861, peer: $B_V4, protocol: owamp, count: 5}
results: {dir: $LOG/results}
EOF
} >"$LOG/a.yaml"
check "server configuration passes --check" "$DP" --check "$LOG/b.yaml"
check "client configuration passes --check" "$DP" --check "$LOG/a.yaml"

ip netns exec $NS_B "$DP" -c "$LOG/b.yaml" --idle-us 100 2>"$LOG/b.err" &
PB=$!
for _ in $(seq 1 200); do grep -q "twamp-dp: running:" "$LOG/b.err" 2>/dev/null && break; sleep 0.1; done
check "server twamp-dp (B) is running" grep -q "twamp-dp: running:" "$LOG/b.err"
check "B serves OWAMP-Control on owamp_port 8610, not 861" \
  sh -c "grep -q 'control: OWAMP-Control on $B_V4:8610' '$LOG/b.err' &&
         ! grep -q 'OWAMP-Control on .*:861\$' '$LOG/b.err'"

ip netns exec $NS_A "$DP" -c "$LOG/a.yaml" --idle-us 100 2>"$LOG/a.err" &
PA=$!
sessions="open-v4 auth-v6 enc-v4 enc-v6 opts-v4 opts-v6 sym-v4"
owsessions="ow-open-v4 ow-auth-v6 ow-enc-v4"
for _ in $(seq 1 300); do
  n=0
  for s in $sessions $owsessions; do grep -q "session $s: done" "$LOG/a.err" && n=$((n + 1)); done
  [ "$n" -eq 10 ] && grep -q "session ow-861: OWAMP-Control" "$LOG/a.err" && grep -q "session badpass: TWAMP-Control" "$LOG/a.err" &&
    grep -q "session noserver: TWAMP-Control" "$LOG/a.err" && break
  kill -0 "$PA" 2>/dev/null || break
  sleep 0.1
done
for s in $sessions; do
  check "session $s: TWAMP-Control set up (mode and test port logged)" \
    grep -Eq "session $s: TWAMP-Control with .* port 862: [a-z]+ mode, test port [0-9]+" "$LOG/a.err"
  check "session $s: done with a results file" \
    grep -Eq "session $s: done: sent $COUNT, received $COUNT, lost 0 .*results $LOG/results/$s-" "$LOG/a.err"
done
check "modes as asked: open-v4 unauthenticated, auth-v6 authenticated, enc-v4/enc-v6 encrypted" \
  sh -c "grep -q 'session open-v4: TWAMP-Control .*: unauthenticated mode' '$LOG/a.err' &&
         grep -q 'session auth-v6: TWAMP-Control .*: authenticated mode' '$LOG/a.err' &&
         grep -q 'session enc-v4: TWAMP-Control .*: encrypted mode' '$LOG/a.err' &&
         grep -q 'session enc-v6: TWAMP-Control .*: encrypted mode' '$LOG/a.err'"
for s in $owsessions; do
  check "session $s: OWAMP-Control set up, records fetched, all $COUNT received" \
    sh -c "grep -Eq 'session $s: OWAMP-Control with .* port 8610: [a-z]+ mode, test port [0-9]+' '$LOG/a.err' &&
           grep -q 'session $s: OWAMP Fetch-Session: $COUNT record(s) of $COUNT packet(s) sent' '$LOG/a.err' &&
           grep -Eq 'session $s: done: sent $COUNT, received $COUNT, lost 0 .*one-way delay .*results $LOG/results/$s-' '$LOG/a.err'"
done
check "OWAMP to port 861 (B's OWAMP server moved): the session fails, connection refused" \
  grep -Eq "session ow-861: OWAMP-Control connect: .*([Rr]efused|reset)" "$LOG/a.err"
# each_result SESSIONS PROTOCOL PYTHON: the one results file of each session
# shows every packet back and a SID; PYTHON checks more of r (the JSON)
each_result() {
  "$PY" -c "
import glob, json
for s in '$1'.split():
    f = glob.glob('$LOG/results/%s-*.json' % s)
    assert len(f) == 1, (s, f)
    r = json.load(open(f[0]))
    p = r['packets']
    assert p['sent'] == $COUNT and p['received'] == $COUNT and p['lost'] == 0, (s, p)
    assert r['session']['protocol'] == '$2', r['session']
    assert len(r['session']['sid'] or '') == 32, r['session']
$3
"
}
check "OWAMP results: one-way, the receiver's timestamps, a SID, forward delays" \
  each_result "$owsessions" owamp "
    assert r['session']['kind'] == 'one-way', r['session']
    fw = r['delay']['forward']
    assert fw['n'] == $COUNT and fw['min_ns'] <= fw['max_ns'] < 1e9, fw"
check "options as asked: opts-v4 all four, opts-v6 individual + reflect octets, sym-v4 symmetrical + DSCP-ECN" \
  sh -c "grep -q 'session opts-v4: TWAMP-Control .*: unauthenticated mode, test port [0-9]*, individual session control, reflect octets, symmetrical size, DSCP-ECN\$' '$LOG/a.err' &&
         grep -q 'session opts-v6: TWAMP-Control .*: encrypted mode, test port [0-9]*, individual session control, reflect octets\$' '$LOG/a.err' &&
         grep -q 'session sym-v4: TWAMP-Control .*: authenticated mode, test port [0-9]*, symmetrical size, DSCP-ECN\$' '$LOG/a.err'"
check "a wrong passphrase: the session fails at TWAMP-Control, nothing is sent" \
  sh -c "grep -Eq 'session badpass: TWAMP-Control (connect|Request-TW-Session): ' '$LOG/a.err' &&
         ! grep -q 'session badpass: done' '$LOG/a.err'"
check "no server on the port: the session fails, saying the connection was refused" \
  grep -Eq "session noserver: TWAMP-Control connect: .*([Rr]efused|reset)" "$LOG/a.err"
check "results: every packet back, a SID, the server's test port, reflector counting" \
  each_result "$sessions" twamp "
    assert r['session']['dst_port'] != 862, r['session']
    assert r['loss_direction']['known'], r['loss_direction']
    assert 0 < r['delay']['rtt']['min_ns'] <= r['delay']['rtt']['max_ns'] < 1e9
"
check "packet sizes follow the options: symmetrical size without padding, reflect octets in the padding" \
  "$PY" -c "
import glob, json
size = {}
for s in ('opts-v4', 'opts-v6', 'sym-v4', 'open-v4'):
    r = json.load(open(glob.glob('$LOG/results/%s-*.json' % s)[0]))['session']
    size[s] = (r['padding'], r['packet_size'])
# RFC 6038 §5.2: the sender header grows to the reflector's (lib/proto
# tw_proto_test.h: 42 open with RFC 7750 DSCP-ECN, 112 auth, erratum 5045)
assert size['open-v4'] == (27, 41), size
assert size['opts-v4'] == (16, 42 + 16), size
assert size['sym-v4'] == (0, 112), size
assert size['opts-v6'] == (72, 48 + 72), size
"
check "RFC 7750: B reports the DSCP and ECN it received (opts-v4: EF, ECT(0)); none without the option" \
  "$PY" -c "
import glob, json
r = json.load(open(glob.glob('$LOG/results/opts-v4-*.json')[0]))['dscp_ecn']
f = r['forward']
assert f['n'] == $COUNT and f['last_dscp'] == 46 and f['last_ecn'] == 2, r
assert f['dscp_changed'] == 0 and f['ecn_changed'] == 0, r
r = json.load(open(glob.glob('$LOG/results/opts-v6-*.json')[0])).get('dscp_ecn') or {}
assert not (r.get('forward') or {}).get('n'), r
"

# an ad-hoc full-TWAMP run from the operator CLI
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --protocol twamp --mode enc --key-id lab \
  --count 20 --interval-us 1000 >"$LOG/run.out" 2>&1
rc=$?
check "twamp-ctl run --protocol twamp --mode enc: exit 0, 20 sent, 0 lost" \
  sh -c "[ $rc -eq 0 ] && grep -q '^20 sent, 0 lost' '$LOG/run.out'"
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V6 --protocol twamp --individual --symmetrical \
  --dscp-ecn --reflect-octets 8 --count 20 --interval-us 1000 >"$LOG/run3.out" 2>&1
rc=$?
check "twamp-ctl run --individual --symmetrical --dscp-ecn --reflect-octets 8: exit 0, 20 sent, 0 lost" \
  sh -c "[ $rc -eq 0 ] && grep -q '^20 sent, 0 lost' '$LOG/run3.out' &&
         grep -q 'TWAMP-Control .*individual session control, reflect octets, symmetrical size, DSCP-ECN' '$LOG/a.err'"
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --protocol twamp-light --dscp-ecn >"$LOG/run4.out" 2>&1
rc=$?
check "twamp-ctl run --dscp-ecn with TWAMP Light: exit 1, says it needs protocol twamp" \
  sh -c "[ $rc -eq 1 ] && grep -q 'need protocol twamp' '$LOG/run4.out'"
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V6 --protocol owamp --port 8610 --mode auth \
  --key-id lab --count 20 --interval-us 1000 --poisson >"$LOG/run5.out" 2>&1
rc=$?
check "twamp-ctl run --protocol owamp --mode auth --poisson: exit 0, 20 sent, 0 lost" \
  sh -c "[ $rc -eq 0 ] && grep -q '^20 sent, 0 lost' '$LOG/run5.out'"
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --protocol twamp --mode auth --key-id nosuch \
  >"$LOG/run2.out" 2>&1
rc=$?
check "twamp-ctl run with a KeyID the key file lacks: exit 1, named" \
  sh -c "[ $rc -eq 1 ] && grep -q \"key 'nosuch': no such passphrase\" '$LOG/run2.out'"

bed_stop

finish
