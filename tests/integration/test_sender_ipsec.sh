#!/usr/bin/env bash
# twamp-dp client <-> twamp-dp server with the test stream inside an IPsec
# tunnel and the control keys from IKEv2 (RFC 7717). Two namespaces (sni-a,
# sni-b) joined by one veth pair, each end driven by a twamp-dp (one worker,
# --no-huge). Both learn the same IKE SA and Child SA pair from
# `twamp-ctl key add` (what the strongSwan plugin would push): A the
# initiator's view (out A->B, in B->A), B the mirror. Checks:
#  (a) TWAMP Light and full TWAMP authenticated keyed by the IKE SA: every
#      packet back, only ESP on the wire for the test streams, the per-SA
#      counters equal to the packets sent and reflected;
#  (b) a Child SA rekey mid-run (new pair on both sides, then the old one
#      deleted): the sender moves to the new SA, no packet lost;
#  (c) no IKE SA for the peer: the run fails saying so, nothing sent;
#  (d) scapy (an independent ESP implementation) decrypts a captured sender
#      packet with the SA keys and decodes the inner TWAMP-Test packet;
#  (e) the seed draft's profile (ipsec.ikev2.profile: draft) on both ends,
#      keyed by the Child SA pair (SKEYSEED / KEYMAT from key import): each
#      variant with TWAMP authenticated, OWAMP and TWAMP encrypted once, the
#      streams through that Child SA; a client whose pair has other SPIs
#      than the server's closes at the greeting, a wrong SKEYSEED gets
#      Accept 1: the run fails saying so, nothing sent;
#  (f) under the seed draft, two Child SA pairs between the same two
#      addresses: the stream rides the one the greeting bound, not the one
#      the selectors pick (per-SA counters); that SA deleted mid-run stops
#      the run (no fallback to an older pair); the next run binds to the
#      pair left; a Child SA rekey of that bound pair mid-run: with the new
#      pair on both sides but nothing received in it the stream stays
#      (RFC 7296 §2.8); the old pair's deletion moves it to the new pair:
#      every packet back, the move logged once and counted (sa_rekeys);
#      a second rekey moves the stream as soon as the peer's own traffic
#      arrives in the new pair (B's TWAMP Light run), before any deletion.
# Also: a configured session on a static SA (sa_spi), an IPv6 Child SA,
# OWAMP encrypted and TWAMP mixed keyed by the IKE SA, `twamp-ctl stats`.
# Prints TAP; needs root; about 105 s.
#
#   tests/integration/test_sender_ipsec.sh BUILD_DIR
# (KEEP_LOG=DIR copies the logs, captures and results there before cleaning up)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
DP="$BUILD/app/twamp-dp/twamp-dp"
CTL="$BUILD/app/twamp-ctl/twamp-ctl"
PY=/usr/bin/python3
# TW_TB=NAME: namespaces, veth and EAL prefixes named after it (runs beside
# another copy of this test)
TAG=${TW_TB:-sni}
NS_A=$TAG-a NS_B=$TAG-b IF_A=$TAG-a0 IF_B=$TAG-b0
A_V4=198.51.100.1 B_V4=198.51.100.2 A_V6=2001:db8:7::1 B_V6=2001:db8:7::2
PREFIX=${TW_TB:+$TW_TB-}sn-sni-$$
LIGHT=8620
COUNT=50
# the IKE SA (RFC 7717 KeyID = SPIi | SPIr) and SK_d, PRF HMAC-SHA2-256
SPII=5e9d1c0a7b3f2e11 SPIR=a04c7e21d9b8f635
SKD=1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100
# Child SA 1: AES-CBC-128 + HMAC-SHA2-256-128; Child SA 2 (the rekey): AES-GCM-128
CBC_AB=000102030405060708090a0b0c0d0e0f CBC_BA=f0e0d0c0b0a090807060504030201000
SHA_AB=202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
SHA_BA=404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f
GCM_AB=606162636465666768696a6b6c6d6e6f01020304 GCM_BA=707172737475767778797a7b7c7d7e7f05060708

PA=0 PB=0 CAP=0 CAP2=0
LOG=$(mktemp -d /tmp/tw-sni.XXXXXX)

# shellcheck source=tests/integration/tap_lib.sh
. "$top/tests/integration/tap_lib.sh"

cleanup() {
  [ "$CAP" -gt 0 ] && kill -INT "$CAP" 2>/dev/null && wait "$CAP" 2>/dev/null
  [ "$CAP2" -gt 0 ] && kill -INT "$CAP2" 2>/dev/null && wait "$CAP2" 2>/dev/null
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

config() { # name iface v4 v6 prefix dir-of-0x3001 dir-of-0x4001
  bed_config "$1" "$2" "$3" "$4" "$5"
  cat <<EOF
ipsec:
  key_import: {socket: $LOG/$1.sock}
  ikev2: {profile: rfc7717, token_key: pbkdf2}
  # static SAs (AES-GCM-128) for the session that names one (sa_spi)
  sas:
    - {spi: 0x3001, direction: $6, src: $A_V4, dst: $B_V4, cipher: aes-gcm-128, cipher_key: st-ab}
    - {spi: 0x4001, direction: $7, src: $B_V4, dst: $A_V4, cipher: aes-gcm-128, cipher_key: st-ba}
EOF
}
umask 077
cat >"$LOG/keys.yaml" <<EOF
secrets:
  st-ab: $GCM_AB
  st-ba: $GCM_BA
EOF
umask 022
{ config b $IF_B $B_V4 $B_V6 $PREFIX-b in out; cat <<EOF
reflector:
  control:
    listen: ["$B_V4:862", "[$B_V6]:862"]
    modes: [open, auth, enc, mixed, ikev2]
    keys: keys.yaml
  light:
    - {port: $LIGHT, protocol: twamp-light, mode: open}
EOF
} >"$LOG/b.yaml"
{ config a $IF_A $A_V4 $A_V6 $PREFIX-a out in; cat <<EOF
reflector:
  control: {enabled: false, keys: keys.yaml}
  # a light port too: two owner classes (receiver, reflector), so the
  # decrypted replies take the worker's class split (owned_split)
  light:
    - {port: $LIGHT, protocol: twamp-light, mode: open}
results: {dir: $LOG/results}
EOF
} >"$LOG/a.yaml"
# the same, with a session on static SA 0x3001, started with A (B is up first)
{ cat "$LOG/a.yaml"; cat <<EOF
sender:
  sessions:
    - {name: static, peer: $B_V4, peer_port: $LIGHT, protocol: twamp-light, count: 30,
       interval_us: 2000, sa_spi: 0x3001}
EOF
} >"$LOG/a-static.yaml"
check "server configuration passes --check" "$DP" --check "$LOG/b.yaml"
check "client configuration passes --check" "$DP" --check "$LOG/a-static.yaml"
# config validation of sender.sessions[].ikev2
cat "$LOG/a.yaml" >"$LOG/bad.yaml"
cat >>"$LOG/bad.yaml" <<EOF
sender:
  sessions:
    - {name: k, peer: $B_V4, protocol: twamp, mode: auth, ikev2: true, key_id: lab}
    - {name: l, peer: $B_V4, protocol: twamp-light, ikev2: true}
    - {name: m, peer: $B_V4, protocol: twamp-light, sa_spi: 0x4001}
EOF
"$DP" --check "$LOG/bad.yaml" >/dev/null 2>"$LOG/bad.err"
check "--check: ikev2 with a key_id, ikev2 with TWAMP Light, sa_spi of an inbound SA refused" \
  sh -c "grep -q 'sender.sessions\[0\].key_id: with ikev2 the KeyID is the IKE SA' '$LOG/bad.err' &&
         grep -q 'sender.sessions\[1\].ikev2: RFC 7717 keys TWAMP-Control' '$LOG/bad.err' &&
         grep -q 'sender.sessions\[2\].sa_spi: no outbound SA 0x4001 in ipsec.sas' '$LOG/bad.err'"

start() { # NS CONF ERR -> pid in STARTED
  ip netns exec "$1" "$DP" -c "$2" --idle-us 100 2>"$3" &
  STARTED=$!
  for _ in $(seq 1 200); do
    grep -q "twamp-dp: running:" "$3" 2>/dev/null && break
    kill -0 "$STARTED" 2>/dev/null || break
    sleep 0.1
  done
}
start $NS_B "$LOG/b.yaml" "$LOG/b.err"; PB=$STARTED
check "server twamp-dp (B) is running" grep -q "twamp-dp: running:" "$LOG/b.err"
start $NS_A "$LOG/a-static.yaml" "$LOG/a.err"; PA=$STARTED
check "client twamp-dp (A) is running" grep -q "twamp-dp: running:" "$LOG/a.err"
for _ in $(seq 1 100); do grep -q "session static: done" "$LOG/a.err" && break; sleep 0.1; done
check "static SA: the configured session rides ipsec.sas 0x3001, all 30 back" \
  sh -c "grep -q 'session static: test stream .* protected by outbound SA 0x00003001' '$LOG/a.err' &&
         grep -q 'session static: done: sent 30, received 30, lost 0 ' '$LOG/a.err'"

key() { local s=$1; shift; "$CTL" -k "$LOG/$s.sock" key "$@"; }
ike() { # SIDE LOCAL REMOTE ROLE
  echo "ike-up spi-i=$SPII spi-r=$SPIR prf=5 sk-d=$SKD local=$2 remote=$3 local-id=$2 remote-id=$3 role=$4"
}
child() { # SPI DIR PEER-SPI SRC DST TS-LOCAL TS-REMOTE ALG...
  local spi=$1 dir=$2 peer=$3 src=$4 dst=$5 tl=$6 tr=$7 len=32
  shift 7
  case "$src" in *:*) len=128 ;; esac
  echo "child-add spi=$spi dir=$dir peer-spi=$peer proto=esp mode=tunnel src=$src dst=$dst encap=none $* ts-local=$tl/$len[17/0-65535] ts-remote=$tr/$len[17/0-65535] ike-spi-i=$SPII ike-spi-r=$SPIR"
}
cbc() { echo "encr=12 encr-keylen=128 encr-key=$1 integ=12 integ-key=$2"; }
gcm() { echo "encr=20 encr-keylen=128 encr-key=$1"; }
# Child SA pair N (SPIs 0x100N A->B, 0x200N B->A), each side its view
pair_a() { child 0000100$1 out 0000200$1 $A_V4 $B_V4 $A_V4 $B_V4 "$2"; child 0000200$1 in 0000100$1 $B_V4 $A_V4 $A_V4 $B_V4 "$3"; }
pair_b() { child 0000200$1 out 0000100$1 $B_V4 $A_V4 $B_V4 $A_V4 "$3"; child 0000100$1 in 0000200$1 $A_V4 $B_V4 $B_V4 $A_V4 "$2"; }
# an IPv6 pair (SPIs 0x5001 A->B, 0x6001 B->A), AES-GCM-128
pair6_a() { child 00005001 out 00006001 $A_V6 $B_V6 $A_V6 $B_V6 "$(gcm $GCM_AB)"; child 00006001 in 00005001 $B_V6 $A_V6 $A_V6 $B_V6 "$(gcm $GCM_BA)"; }
pair6_b() { child 00006001 out 00005001 $B_V6 $A_V6 $B_V6 $A_V6 "$(gcm $GCM_BA)"; child 00005001 in 00006001 $A_V6 $B_V6 $B_V6 $A_V6 "$(gcm $GCM_AB)"; }

# (c) first: no IKE SA yet, a run keyed by IKEv2 fails and sends nothing
tel() { ip netns exec $NS_A "$CTL" -p $PREFIX-$1 query "$2"; }
sent_before=$("$PY" -c "import json,sys; print(json.load(sys.stdin)['sent'])" < <(tel a /twamp/send/stats))
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --protocol twamp --ikev2 --mode auth \
  --count 10 --interval-us 1000 --name nosa >"$LOG/nosa.out" 2>&1
rc=$?
sent_after=$("$PY" -c "import json,sys; print(json.load(sys.stdin)['sent'])" < <(tel a /twamp/send/stats))
check "(c) no IKE SA for the peer: run fails (exit $rc), says so, nothing sent ($sent_before -> $sent_after)" \
  sh -c "[ $rc -ne 0 ] && [ -n '$sent_before' ] && grep -q 'ikev2: no IKE SA with remote $B_V4 in the key-import table' '$LOG/a.err' &&
         [ '$sent_before' = '$sent_after' ]"

{ ike a $A_V4 $B_V4 initiator; pair_a 1 "$(cbc $CBC_AB $SHA_AB)" "$(cbc $CBC_BA $SHA_BA)"; } >"$LOG/a1.rec"
{ ike b $B_V4 $A_V4 responder; pair_b 1 "$(cbc $CBC_AB $SHA_AB)" "$(cbc $CBC_BA $SHA_BA)"; } >"$LOG/b1.rec"
key a add - <"$LOG/a1.rec" >"$LOG/ka1" 2>&1
check "A learns the IKE SA and Child SA pair 1 (twamp-ctl key add)" \
  test "$(grep -c '^ok added' "$LOG/ka1")" -eq 3
key b add - <"$LOG/b1.rec" >"$LOG/kb1" 2>&1
check "B learns the same IKE SA and the mirror pair" \
  test "$(grep -c '^ok added' "$LOG/kb1")" -eq 3

# everything on the wire while the runs go: what each end receives (a
# packet socket's own TX bypasses the capture taps, so each direction is
# captured where it arrives)
ip netns exec $NS_B tcpdump -i $IF_B -Q in -B 32768 -U -w "$LOG/cap.pcap" \
  "host $A_V4 and host $B_V4" 2>"$LOG/tcpdump.err" &
CAP=$!
ip netns exec $NS_A tcpdump -i $IF_A -Q in -B 32768 -U -w "$LOG/cap-a.pcap" \
  "host $A_V4 and host $B_V4" 2>"$LOG/tcpdump-a.err" &
CAP2=$!
for _ in $(seq 1 50); do
  grep -q listening "$LOG/tcpdump.err" 2>/dev/null && grep -q listening "$LOG/tcpdump-a.err" 2>/dev/null && break
  sleep 0.1
done

# (a) TWAMP Light and full TWAMP keyed by the IKE SA, both through the tunnel
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --port $LIGHT --count $COUNT \
  --interval-us 2000 --name light --json >"$LOG/light.json" 2>"$LOG/light.err"
rc=$?
check "(a) TWAMP Light through ESP: exit $rc, $COUNT sent, $COUNT received, 0 lost" \
  "$PY" -c "
import json
r = json.load(open('$LOG/light.json'))
p = r['packets']
assert p['sent'] == $COUNT and p['received'] == $COUNT and p['lost'] == 0, p
assert r['session']['timestamps'] == 'user-before-esp', r['session']
"
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --protocol twamp --ikev2 --mode auth \
  --count $COUNT --interval-us 2000 --name ikeauth --json >"$LOG/ikeauth.json" 2>"$LOG/ikeauth.err"
rc=$?
check "(a) full TWAMP authenticated, keys from the IKE SA (RFC 7717): exit $rc, all back" \
  "$PY" -c "
import json
r = json.load(open('$LOG/ikeauth.json'))
p = r['packets']
assert p['sent'] == $COUNT and p['received'] == $COUNT and p['lost'] == 0, p
assert len(r['session']['sid'] or '') == 32 and r['session']['protocol'] == 'twamp', r['session']
assert r['session']['timestamps'] == 'user-before-esp', r['session']
"
check "(a) TWAMP-Control in authenticated mode with the IKEv2-derived key" \
  grep -q "session ikeauth: TWAMP-Control with $B_V4 port 862: authenticated mode" "$LOG/a.err"
check "(a) both streams logged as protected by outbound SA 0x00001001" \
  sh -c "grep -q 'session light: test stream .* protected by outbound SA 0x00001001' '$LOG/a.err' &&
         grep -q 'session ikeauth: test stream .* protected by outbound SA 0x00001001' '$LOG/a.err'"

sa() { # SIDE NAME FIELD
  tel "$1" "/twamp/ipsec/sa,$2" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['$3'])"
}
NP=$((2 * COUNT))
got="A out $(sa a out:0x00003001 packets) in $(sa a in:0x00004001 packets), B in $(sa b in:0x00003001 packets) out $(sa b out:0x00004001 packets)"
check "static SA counters: the 30 packets both ways ($got)" test "$got" = "A out 30 in 30, B in 30 out 30"
got="A out $(sa a out:0x00001001 packets) in $(sa a in:0x00002001 packets), B in $(sa b in:0x00001001 packets) out $(sa b out:0x00002001 packets)"
check "(a) per-SA counters: every test packet both ways on pair 1 ($got; want $NP each)" \
  test "$got" = "A out $NP in $NP, B in $NP out $NP"
tel a /twamp/send/stats >"$LOG/send-stats.json"
check "(a) the sender's telemetry counts the protected packets (ipsec $NP + 30, crypto_err 0)" \
  "$PY" -c "
import json
d = json.load(open('$LOG/send-stats.json'))
assert d['ipsec'] == $NP + 30 and d['crypto_err'] == 0 and d['no_sa'] == 0, d
"

ip netns exec $NS_A "$CTL" -p $PREFIX-a stats >"$LOG/stats.txt" 2>&1
check "twamp-ctl stats: the sender line counts the packets through IPsec" \
  grep -Eq "^sender \(worker 0\): sent 130, .* done; through IPsec 130, waited for an SA 0; departure error" "$LOG/stats.txt"

# IPv6 in an IPv6 tunnel
pair6_b | key b add - >"$LOG/kb6" 2>&1
pair6_a | key a add - >"$LOG/ka6" 2>&1
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V6 --port $LIGHT --count 30 \
  --interval-us 2000 --name light6 >"$LOG/light6.out" 2>&1
rc=$?
got="A out $(sa a out:0x00005001 packets) in $(sa a in:0x00006001 packets), B in $(sa b in:0x00005001 packets) out $(sa b out:0x00006001 packets)"
check "IPv6: TWAMP Light through the IPv6 Child SA 0x5001: exit $rc, 30 back, counters ($got)" \
  sh -c "[ $rc -eq 0 ] && grep -q '^30 sent, 0 lost' '$LOG/light6.out' &&
         grep -q 'session light6: test stream .* protected by outbound SA 0x00005001' '$LOG/a.err' &&
         [ '$got' = 'A out 30 in 30, B in 30 out 30' ]"

# more RFC 7717 runs through the tunnel: OWAMP encrypted (one way: B's
# OWAMP receiver gets the decrypted packets), TWAMP mixed (RFC 5618)
OW=20
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --protocol owamp --ikev2 --mode enc \
  --count $OW --interval-us 2000 --name ikeow --json >"$LOG/ikeow.json" 2>"$LOG/ikeow.err"
rc=$?
check "OWAMP encrypted keyed by the IKE SA, through ESP: exit $rc, $OW received by B (Fetch-Session)" \
  "$PY" -c "
import json
r = json.load(open('$LOG/ikeow.json'))
p = r['packets']
assert p['sent'] == $OW and p['received'] == $OW and p['lost'] == 0, p
assert r['session']['kind'] == 'one-way' and r['session']['timestamps'] == 'user-before-esp', r['session']
"
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --protocol twamp --ikev2 --mode mixed \
  --count $OW --interval-us 2000 --name ikemix >"$LOG/ikemix.out" 2>&1
rc=$?
check "TWAMP mixed mode keyed by the IKE SA, through ESP: exit $rc, $OW sent, 0 lost" \
  sh -c "[ $rc -eq 0 ] && grep -q '^$OW sent, 0 lost' '$LOG/ikemix.out' &&
         grep -q 'session ikemix: TWAMP-Control with $B_V4 port 862: mixed mode' '$LOG/a.err'"

# (b) a Child SA rekey in the middle of a 3 s run: new pair on both sides,
# then the old one deleted (A's outbound half first). RFC 7296 §2.8: with
# both halves of pair 2 in and nothing received in it (B answers in the
# pair it was asked in) the stream stays in pair 1 until pair 1 goes
RK=600
ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --port $LIGHT --count $RK \
  --interval-us 5000 --name rekey --json >"$LOG/rekey.json" 2>"$LOG/rekey.err" &
RUN=$!
sleep 1
pair_b 2 "$(gcm $GCM_AB)" "$(gcm $GCM_BA)" | key b add - >"$LOG/kb2" 2>&1
# A's new outbound half alone first: the stream stays on pair 1 until the
# inbound half (where B's replies will come) is in too
pair_a 2 "$(gcm $GCM_AB)" "$(gcm $GCM_BA)" | head -1 | key a add - >"$LOG/ka2" 2>&1
sleep 0.2
pair_a 2 "$(gcm $GCM_AB)" "$(gcm $GCM_BA)" | tail -1 | key a add - >>"$LOG/ka2" 2>&1
sleep 0.5
before="A out pair 2 $(sa a out:0x00001002 packets), moves $(grep -c 'session rekey: outbound SA' "$LOG/a.err")"
key a del child-del spi=00001001 dir=out proto=esp dst=$B_V4 >"$LOG/kd1" 2>&1
sleep 0.3
key b del child-del spi=00001001 dir=in proto=esp dst=$B_V4 >>"$LOG/kd1" 2>&1
key b del child-del spi=00002001 dir=out proto=esp dst=$A_V4 >>"$LOG/kd1" 2>&1
sleep 0.3
key a del child-del spi=00002001 dir=in proto=esp dst=$A_V4 >>"$LOG/kd1" 2>&1
wait $RUN
rc=$?
check "(b) rekey records accepted (2 added each side, 4 deleted)" \
  sh -c "[ \$(grep -c '^ok added' '$LOG/ka2') -eq 2 ] && [ \$(grep -c '^ok added' '$LOG/kb2') -eq 2 ] &&
         [ \$(grep -c '^ok deleted' '$LOG/kd1') -eq 4 ]"
check "(b) pair 2 in on both sides, nothing received in it: the stream stays in pair 1 until pair 1 goes (RFC 7296 §2.8; $before)" \
  test "$before" = "A out pair 2 0, moves 0"
check "(b) the run moved to the new SA: outbound SA 0x00001001 -> 0x00001002" \
  grep -q "session rekey: outbound SA 0x00001001 -> 0x00001002 (Child SA rekey)" "$LOG/a.err"
check "(b) Child SA rekey mid-run: exit $rc, $RK sent, $RK received, 0 lost" \
  "$PY" -c "
import json
p = json.load(open('$LOG/rekey.json'))['packets']
assert p['sent'] == $RK and p['received'] == $RK and p['lost'] == 0, p
"
new="A out $(sa a out:0x00001002 packets) in $(sa a in:0x00002002 packets)"
check "(b) the new pair carried the rest of the run ($new)" \
  "$PY" -c "
a = '$new'.split()
assert 0 < int(a[2]) < $RK and int(a[2]) == int(a[4]), a
"

sleep 0.3
kill -INT "$CAP" "$CAP2" 2>/dev/null
wait "$CAP" "$CAP2" 2>/dev/null
CAP=0 CAP2=0
# what crossed the wire: the test streams only as ESP (UDP only to the
# discard port: the next-hop probe), the TWAMP-Control TCP connection clear
check "(a,b) on the veth: ESP both ways for every test packet, no test packet in the clear" \
  "$PY" -c "
from scapy.all import rdpcap, IP, UDP, ESP, TCP
esp = {}
clear = []
# each direction where it arrives: A->B at B, B->A at A. An SA numbers
# its packets 1, 2, ... (RFC 4303 §3.3.3): the highest sequence number seen
# counts them even if the capture missed one on this busy machine
for f, src in (('$LOG/cap.pcap', '$A_V4'), ('$LOG/cap-a.pcap', '$B_V4')):
    for p in rdpcap(f):
        if IP not in p or p[IP].src != src:
            continue
        if ESP in p:
            esp[p[ESP].spi] = max(esp.get(p[ESP].spi, 0), p[ESP].seq)
        elif UDP in p and p[UDP].dport != 9:
            clear.append(p.summary())
assert not clear, clear[:5]
out = esp.get(0x1001, 0) + esp.get(0x1002, 0)
back = esp.get(0x2001, 0) + esp.get(0x2002, 0)
assert out == $NP + $RK + 2 * $OW and back == $NP + $RK + $OW, esp
"
# (d) scapy decrypts the first sender packet of pair 1 and reads TWAMP-Test
check "(d) scapy decrypts a sender packet (AES-CBC + HMAC-SHA2-256-128) and decodes TWAMP-Test" \
  "$PY" -c "
import struct, time
from scapy.all import rdpcap, IP, UDP, ESP
from scapy.layers.ipsec import SecurityAssociation
sa = SecurityAssociation(ESP, spi=0x1001, crypt_algo='AES-CBC', crypt_key=bytes.fromhex('$CBC_AB'),
                         auth_algo='SHA2-256-128', auth_key=bytes.fromhex('$SHA_AB'),
                         tunnel_header=IP(src='$A_V4', dst='$B_V4'))
pk = [p for p in rdpcap('$LOG/cap.pcap') if ESP in p and p[ESP].spi == 0x1001]
assert pk, 'no ESP packet with SPI 0x1001'
inner = sa.decrypt(pk[0][IP])
assert inner.src == '$A_V4' and inner.dst == '$B_V4' and UDP in inner, inner.summary()
u = inner[UDP]
assert u.dport == $LIGHT and u.sport != 0, u.summary()
raw = bytes(u.payload)
want = u.chksum
u.chksum = None
assert IP(bytes(inner))[UDP].chksum == want, 'UDP checksum'
# RFC 5357 §4.1.2 unauthenticated: Sequence Number, Timestamp, Error Estimate, padding
seq, sec, frac, ee = struct.unpack('!IIIH', raw[:14])
assert seq == 0, seq
t = sec - 2208988800 + frac / 2**32
assert abs(t - time.time()) < 3600, t
assert len(raw) == 14 + 27, len(raw)
"

bed_stop

# (e) the seed draft's profile: both ends restarted with ipsec.ikev2 =
# {profile: draft, ...}; the IKE SA carries skeyseed=, the Child SA pair
# keymat= (docs/key-import.md §6.7)
SKS=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf
SKS_BAD=00a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf
KM=5f5e5d5c5b5a595857565554535251504f4e4d4c4b4a49484746454443424140
draft_recs() { # SIDE SKEYSEED PAIR: the side's IKE SA and Child SA pair PAIR
  local role=initiator l=$A_V4 r=$B_V4
  [ "$1" = b ] && role=responder l=$B_V4 r=$A_V4
  ike "$1" $l $r $role | sed "s/ local=/ skeyseed=$2 local=/"
  "pair_$1" "$3" "$(cbc $CBC_AB $SHA_AB)" "$(cbc $CBC_BA $SHA_BA)" | sed "s/\$/ keymat=$KM/"
}
draft_up() { # SIDE IKEV2-MAP SKEYSEED PAIR: (re)start one side, push its keys
  local side=$1 pid
  if [ "$side" = a ]; then pid=$PA; PA=0; else pid=$PB; PB=0; fi
  if [ "$pid" -ne 0 ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  sed "s|ikev2: {profile: rfc7717, token_key: pbkdf2}|ikev2: {profile: draft, $2}|" \
    "$LOG/$side.yaml" >"$LOG/$side-draft.yaml"
  rm -f "$LOG/$side.sock"
  if [ "$side" = a ]; then
    start $NS_A "$LOG/a-draft.yaml" "$LOG/a.err"; PA=$STARTED
  else
    start $NS_B "$LOG/b-draft.yaml" "$LOG/b.err"; PB=$STARTED
  fi
  for _ in $(seq 1 50); do [ -S "$LOG/$side.sock" ] && break; sleep 0.1; done
  draft_recs "$side" "$3" "$4" | key "$side" add - >"$LOG/kdraft-$side" 2>&1
  [ "$(grep -c '^ok added' "$LOG/kdraft-$side")" -eq 3 ] &&
    grep -q "twamp-dp: running:" "$LOG/$side.err"
}
draft_run() { # NAME PROTOCOL MODE COUNT: a run keyed by the draft, --json
  ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V4 --protocol "$2" --ikev2 --mode "$3" \
    --count "$4" --interval-us 2000 --name "$1" --json >"$LOG/$1.json" 2>"$LOG/$1.err"
}
run_ok() { # NAME COUNT MODE-WORD: every packet back, the mode and the Child SA logged
  "$PY" -c "
import json
r = json.load(open('$LOG/$1.json'))
p = r['packets']
assert p['sent'] == $2 and p['received'] == $2 and p['lost'] == 0, p
assert r['session']['timestamps'] == 'user-before-esp', r['session']
" && grep -q "session $1: .*-Control with $B_V4 port 86[12]: $3 mode" "$LOG/a.err" &&
    grep -q "session $1: test stream .* protected by outbound SA 0x00001001" "$LOG/a.err"
}
sent_a() { tel a /twamp/send/stats | "$PY" -c "import json,sys; print(json.load(sys.stdin)['sent'])"; }

# NAME IKEV2-MAP SKEYSEED PAIR WHAT-UP WHAT-FAILS LOG-TEXT CTL-TEXT: A
# restarts with that IKE SA and pair, a run fails before sending anything
fail_run() {
  local before after rc
  check "(e) $5" draft_up a "$2" "$3" "$4"
  before=$(sent_a)
  draft_run "$1" twamp auth 10; rc=$?
  after=$(sent_a)
  check "(e) $6 (exit $rc), nothing sent ($before -> $after)" \
    sh -c "[ $rc -ne 0 ] && [ '$before' = 0 ] && [ '$after' = 0 ] &&
           grep -qF 'session $1: TWAMP-Control connect: $7' '$LOG/a.err' &&
           grep -qF '$8' '$LOG/$1.err'"
}

# (f) two Child SA pairs between the same two addresses (after alt2's
# pair 1): pair 2 (0x1002 / 0x2002, other keys) is newer, so the greeting
# binds it, but A's outbound half has TCP selectors only: by the selectors
# the stream would ride pair 1. The seed draft pins it to the bound SA: the per-SA
# counters show every test packet in pair 2 and none in pair 1. Then
# pair 2 is deleted mid-run: the run stops and says so (no fallback to
# pair 1, which still covers it); the next run binds to pair 1.
sa_a1() { sa a out:0x00001001 packets; }
# pair N's halves on both sides deleted (with "rest": all but A's outbound
# half, deleted before)
pair_del() { # N [rest]
  [ "${2:-}" = rest ] || key a del child-del spi=0000100$1 dir=out proto=esp dst=$B_V4
  key a del child-del spi=0000200$1 dir=in proto=esp dst=$A_V4
  key b del child-del spi=0000100$1 dir=in proto=esp dst=$B_V4
  key b del child-del spi=0000200$1 dir=out proto=esp dst=$A_V4
}
# wait until every pair-N packet B took since B_IN is answered and back at
# A since A_IN (looked at twice: a last one may still be on its way)
replies_back() { # N A_IN B_IN
  for _ in $(seq 1 100); do
    if [ $(($(sa a in:0x0000200$1 packets) - $2)) -eq $(($(sa b in:0x0000100$1 packets) - $3)) ]; then
      sleep 0.2
      [ $(($(sa a in:0x0000200$1 packets) - $2)) -eq $(($(sa b in:0x0000100$1 packets) - $3)) ] && return 0
    fi
    sleep 0.1
  done
  return 1
}
all_back() { # NAME COUNT SPI: every packet back, the stream pinned to SPI
  "$PY" -c "
import json
p = json.load(open('$LOG/$1.json'))['packets']
assert p['sent'] == $2 and p['received'] == $2 and p['lost'] == 0, p
" && grep -q "session $1: test stream .* protected by outbound SA $3, the Child SA the Server Greeting bound" "$LOG/a.err"
}
pair2() { # SIDE: pair 2, its keys swapped; A's outbound half TCP only
  # (A's SPD would not pick it); the inbound halves hold the UDP test
  # traffic, as RFC 4301 §5.2 requires of what they decrypt
  if [ "$1" = a ]; then
    "pair_$1" 2 "$(cbc $CBC_BA $SHA_BA)" "$(cbc $CBC_AB $SHA_AB)" | sed '/dir=out/ s|\[17/|[6/|g'
  else
    "pair_$1" 2 "$(cbc $CBC_BA $SHA_BA)" "$(cbc $CBC_AB $SHA_AB)"
  fi
}
pinned() {
  local base1 got rc run
  pair2 b | key b add - >"$LOG/kpin-b" 2>&1
  pair2 a | key a add - >"$LOG/kpin-a" 2>&1
  check "(f) both sides learn a second pair (0x1002 / 0x2002, A's outbound half TCP only)" \
    test "$(grep -c '^ok added' "$LOG/kpin-a") $(grep -c '^ok added' "$LOG/kpin-b")" = "2 2"
  base1=$(sa_a1)
  draft_run d-pin twamp auth $DC; rc=$?
  check "(f) the greeting binds pair 2: exit $rc, $DC back, the stream pinned to SA 0x1002" \
    all_back d-pin $DC 0x00001002
  got="A out $(sa a out:0x00001002 packets) in $(sa a in:0x00002002 packets), B in $(sa b in:0x00001002 packets) out $(sa b out:0x00002002 packets); pair 1 A out +$(($(sa_a1) - base1))"
  check "(f) per-SA counters: every test packet in the bound pair 2, none in pair 1 ($got)" \
    test "$got" = "A out $DC in $DC, B in $DC out $DC; pair 1 A out +0"
  # a long run bound to pair 2; once its packets flow, pair 2 is deleted
  # (A's outbound first)
  base1=$(sa_a1)
  draft_run d-gone twamp auth 5000 &
  run=$!
  for _ in $(seq 1 100); do
    [ "$(sa a out:0x00001002 packets)" -gt $DC ] 2>/dev/null && break
    sleep 0.1
  done
  pair_del 2 >"$LOG/kpin-del" 2>&1
  wait $run; rc=$?
  got=$(($(sa_a1) - base1))
  check "(f) the bound SA deleted mid-run: the run stops (exit $rc), says so, pair 1 carried none of it (+$got)" \
    sh -c "[ $rc -ne 0 ] && [ \$(grep -c '^ok deleted' '$LOG/kpin-del') -eq 4 ] && [ $got -eq 0 ] &&
           grep -qF 'session d-gone: ikev2 (seed draft): outbound SA 0x00001002, the one the Server Greeting bound, is gone with no rekey successor: stopped (no other SA taken, nothing sent in the clear)' '$LOG/a.err'"
  base1=$(sa_a1)
  draft_run d-rebind twamp auth $DC; rc=$?
  got=$(($(sa_a1) - base1))
  check "(f) the next run binds to pair 1, the pair left: exit $rc, $DC back, pinned to SA 0x1001" \
    all_back d-rebind $DC 0x00001001
  check "(f) SA 0x1001's counter counts that run's $DC packets (+$got)" test "$got" = "$DC"
  rekeyed
  rekeyed_by_traffic
}

# (f) a Child SA rekey of the bound pair 1 during a long run: pair 3
# (0x1003 / 0x2003: same IKE SA, addresses and transforms, new keys) is
# added, B first. RFC 7296 §2.8: A keeps sending in pair 1 while nothing
# has arrived in pair 3 and pair 1 is not being deleted (B, a reflector,
# answers in the pair it was asked in, so nothing will). Then pair 1's
# outbound half goes on A (the IKE delete of the replaced SA): the stream
# moves to pair 3 at once and says so; once pair 1's last replies are back
# the rest of pair 1 goes: the run ends with every packet back.
pair3() { "pair_$1" 3 "$(cbc $CBC_BA $SHA_BA)" "$(cbc $CBC_AB $SHA_AB)"; }
sa_a3() { sa a out:0x00001003 packets; }
rekey_ok() { [ "$1" -eq 0 ] && all_back d-rekey "$2" 0x00001001; } # RC COUNT
run_rekeys() { # NAME: sa_rekeys of the run NAME in /twamp/send/result
  local id
  for id in $(tel a /twamp/send/runs | "$PY" -c "import json,sys; print(' '.join(json.load(sys.stdin)))"); do
    tel a "/twamp/send/result,$id" | "$PY" -c "
import json, sys
r = json.load(sys.stdin)
if r.get('name') == '$1':
    print(r.get('sa_rekeys'))"
  done
}
rekeyed() {
  local base1 basein bbase rc run n p1 p3 got moved="session d-rekey: bound SA 0x00001001 rekeyed: stream continues in 0x00001003, its successor"
  local nr=5000
  base1=$(sa_a1)
  basein=$(sa a in:0x00002001 packets)
  bbase=$(sa b in:0x00001001 packets)
  draft_run d-rekey twamp auth $nr &
  run=$!
  for _ in $(seq 1 100); do
    [ "$(sa_a1)" -gt $((base1 + DC)) ] 2>/dev/null && break
    sleep 0.1
  done
  pair3 b | key b add - >"$LOG/kre-b" 2>&1
  pair3 a | key a add - >"$LOG/kre-a" 2>&1
  n=$(sa_a1)
  for _ in $(seq 1 100); do [ "$(sa_a1)" -gt $((n + 50)) ] && break; sleep 0.1; done
  n=$(($(sa_a1) - n))
  got="+$n in pair 1, $(sa_a3) in pair 3, moves logged $(grep -cF "$moved" "$LOG/a.err")"
  check "(f) pair 3 on both sides, nothing received in it: the stream stays in pair 1 (RFC 7296 §2.8; $got)" \
    sh -c "[ $n -gt 50 ] && [ '$got' = '+$n in pair 1, 0 in pair 3, moves logged 0' ]"
  key a del child-del spi=00001001 dir=out proto=esp dst=$B_V4 >"$LOG/kre-del" 2>&1
  for _ in $(seq 1 100); do grep -qF "$moved" "$LOG/a.err" && break; sleep 0.1; done
  replies_back 1 $basein $bbase
  p1=$(($(sa a in:0x00002001 packets) - basein))
  pair_del 1 rest >>"$LOG/kre-del" 2>&1
  n=$(($(sa a out:0x00001003 packets) + 0))
  wait $run; rc=$?
  p3=$(sa_a3)
  check "(f) rekey of the bound pair: pair 3 added on both sides (2 + 2), pair 1 deleted (4) while the run sends ($n sent in pair 3 then)" \
    sh -c "[ \$(grep -c '^ok added' '$LOG/kre-a') -eq 2 ] && [ \$(grep -c '^ok added' '$LOG/kre-b') -eq 2 ] &&
           [ \$(grep -c '^ok deleted' '$LOG/kre-del') -eq 4 ] && [ $n -lt $nr ]"
  check "(f) the run survives the rekey: exit $rc, all $nr back, none lost" \
    rekey_ok $rc $nr
  check "(f) the log names the move once: bound SA 0x00001001 rekeyed, continues in 0x00001003" \
    test "$(grep -cF "$moved" "$LOG/a.err")" = 1
  got="A out pair 1 +$p1, pair 3 $p3, in pair 3 $(sa a in:0x00002003 packets); B in pair 3 $(sa b in:0x00001003 packets) out $(sa b out:0x00002003 packets)"
  check "(f) exact counters: A out pair 1 + pair 3 = $nr, both used, pair 3's replies all back ($got)" \
    sh -c "[ $((p1 + p3)) -eq $nr ] && [ $p1 -gt 0 ] && [ $p3 -gt 0 ] &&
           [ '$got' = 'A out pair 1 +$p1, pair 3 $p3, in pair 3 $p3; B in pair 3 $p3 out $p3' ]"
  got=$(run_rekeys d-rekey)
  check "(f) /twamp/send/result counts the move: sa_rekeys $got" test "$got" = 1
}

# (f) again, now the peer sends first in the new pair: the run binds pair 3
# (the one left); pair 4 comes on both sides; the stream stays in pair 3
# until B's own TWAMP Light run to A, which B's SPD puts in pair 4 (the
# newest), arrives in A's inbound half of pair 4: RFC 7296 §2.8 (1), the
# stream moves at once, before pair 3 is deleted.
pair4() { "pair_$1" 4 "$(cbc $CBC_BA $SHA_BA)" "$(cbc $CBC_AB $SHA_AB)"; }
rekeyed_by_traffic() {
  local b3 ain3 bin3 rc run n got nr=3000 moved="session d-rekey2: bound SA 0x00001003 rekeyed: stream continues in 0x00001004, its successor"
  b3=$(sa_a3)
  ain3=$(sa a in:0x00002003 packets)
  bin3=$(sa b in:0x00001003 packets)
  draft_run d-rekey2 twamp auth $nr &
  run=$!
  for _ in $(seq 1 100); do [ "$(sa_a3)" -gt $((b3 + DC)) ] 2>/dev/null && break; sleep 0.1; done
  pair4 b | key b add - >"$LOG/kre4-b" 2>&1
  pair4 a | key a add - >"$LOG/kre4-a" 2>&1
  n=$(sa_a3)
  for _ in $(seq 1 100); do [ "$(sa_a3)" -gt $((n + 50)) ] && break; sleep 0.1; done
  got="$(sa a out:0x00001004 packets) in pair 4, moves logged $(grep -cF "$moved" "$LOG/a.err")"
  check "(f) pair 4 on both sides (2 + 2), nothing received in it: the stream stays in pair 3 ($got)" \
    sh -c "[ \$(grep -c '^ok added' '$LOG/kre4-a') -eq 2 ] && [ \$(grep -c '^ok added' '$LOG/kre4-b') -eq 2 ] &&
           [ '$got' = '0 in pair 4, moves logged 0' ]"
  ip netns exec $NS_B "$CTL" -p $PREFIX-b run $A_V4 --port $LIGHT --count 3 \
    --interval-us 2000 --name b-light --json >"$LOG/b-light.json" 2>"$LOG/b-light.err"
  rc=$?
  for _ in $(seq 1 100); do grep -qF "$moved" "$LOG/a.err" && break; sleep 0.1; done
  got="B's run exit $rc, A in pair 4 $(sa a in:0x00002004 packets), moves logged $(grep -cF "$moved" "$LOG/a.err")"
  check "(f) B's TWAMP Light run to A rides pair 4 (3 back); arriving in A's pair 4 it moves the stream there, pair 3 still present ($got)" \
    b_light_moved $rc "$moved"
  # pair 3's last replies back, then pair 3 goes
  replies_back 3 $ain3 $bin3
  pair_del 3 >"$LOG/kre4-del" 2>&1
  wait $run; rc=$?
  got=$(run_rekeys d-rekey2)
  check "(f) the run survives: exit $rc, all $nr back, none lost; pair 3 deleted (4); sa_rekeys $got" \
    rekey2_ok $rc $nr "$got"
}
b_light_moved() { # RC MOVED-LINE
  [ "$1" -eq 0 ] && grep -q 'session b-light: test stream .* protected by outbound SA 0x00002004' "$LOG/b.err" &&
    "$PY" -c "import json; p = json.load(open('$LOG/b-light.json'))['packets']; assert p['received'] == 3, p" &&
    [ "$(sa a in:0x00002004 packets)" -ge 3 ] && [ "$(grep -cF "$2" "$LOG/a.err")" -eq 1 ]
}
rekey2_ok() { # RC COUNT SA_REKEYS
  [ "$1" -eq 0 ] && all_back d-rekey2 "$2" 0x00001003 &&
    [ "$(grep -c '^ok deleted' "$LOG/kre4-del")" -eq 4 ] && [ "$3" = 1 ]
}

DC=30 DO=20
for v in "variant: base" "variant: alt1, secret: keymat" "variant: alt2"; do
  vn=${v#variant: }; vn=${vn%%,*}
  check "(e) $v: B restarts with profile draft and learns its view of pair 1" draft_up b "$v" $SKS 1
  check "(e) $v: A restarts with profile draft and learns its view of pair 1" draft_up a "$v" $SKS 1
  draft_run d-$vn-auth twamp auth $DC; rc=$?
  check "(e) $v: TWAMP authenticated keyed by the draft: exit $rc, $DC back, through Child SA 0x1001" \
    run_ok d-$vn-auth $DC authenticated
  check "(e) $v: B served the seed draft's profile of variant $vn" \
    grep -q "control: mode ikev2 (seed draft profile, variant $vn" "$LOG/b.err"
  np=$DC
  if [ "$vn" = base ]; then
    draft_run d-base-twenc twamp enc $DC; rc=$?
    check "(e) $v: TWAMP encrypted keyed by the draft: exit $rc, $DC back" \
      run_ok d-base-twenc $DC encrypted
    draft_run d-base-owenc owamp enc $DO; rc=$?
    check "(e) $v: OWAMP encrypted keyed by the draft: exit $rc, $DO received by B" \
      run_ok d-base-owenc $DO encrypted
    np=$((2 * DC + DO))
    nb=$((2 * DC))
  else
    nb=$DC
  fi
  got="A out $(sa a out:0x00001001 packets) in $(sa a in:0x00002001 packets), B in $(sa b in:0x00001001 packets) out $(sa b out:0x00002001 packets)"
  check "(e) $v: per-SA counters: the test streams on the bound Child SA ($got)" \
    test "$got" = "A out $np in $nb, B in $np out $nb"
  if [ "$vn" = alt2 ]; then pinned; fi
  if [ "$vn" != base ]; then continue; fi

  # no Child SA pair between the two ends (IPv6: none pushed): refused
  # before connecting
  before=$(sent_a)
  ip netns exec $NS_A "$CTL" -p $PREFIX-a run $B_V6 --protocol twamp --ikev2 --count 5 \
    --name d-nopair >"$LOG/d-nopair.out" 2>&1
  rc=$?
  after=$(sent_a)
  nopair="ikev2 (seed draft): no Child SA pair (both directions, of an IKE SA) between $A_V6 and $B_V6 in the key-import table: nothing sent"
  check "(e) no Child SA pair with the peer: run fails (exit $rc), says so in full in the log and from twamp-ctl, nothing sent ($before -> $after)" \
    sh -c "[ $rc -ne 0 ] && [ '$before' = '$after' ] &&
           grep -qF 'session d-nopair: $nopair' '$LOG/a.err' &&
           grep -qxF 'twamp-ctl run: $nopair' '$LOG/d-nopair.out'"
  # binding mismatch: A's pair has other SPIs (0x1003 / 0x2003) than B's
  fail_run d-mismatch "$v" $SKS 3 "mismatch: A restarts with Child SA pair 3, B keeps pair 1" \
    "the greeting binds other SPIs: the run fails, twamp-ctl prints the whole message" \
    'Server Greeting binds ESP SPIs 0x00001001 (to server) / 0x00002001 (from server), our SA is ESP 0x00001003 / 0x00002003' \
    'twamp-ctl run: TWAMP-Control connect: Server Greeting binds ESP SPIs 0x00001001 (to server) / 0x00002001 (from server), our SA is ESP 0x00001003 / 0x00002003: closed without a reply (seed draft: MUST close)'
  # wrong SKEYSEED on A: the base variant's Token does not decrypt: Accept 1
  fail_run d-badseed "$v" $SKS_BAD 1 "wrong SKEYSEED: A restarts with another SKEYSEED, pair 1" \
    "wrong SKEYSEED: Accept 1 reported" \
    'server refused the connection (Server-Start): Accept 1' 'Accept 1'
done
stop_pids "$PA" "$PB"; PA=0 PB=0

finish
