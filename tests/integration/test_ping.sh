#!/usr/bin/env bash
# twamp-ping against twamp-dp: twamp-dp serves in the dut namespace (its
# TWAMP and OWAMP control server in every mode and option, light ports for
# TWAMP Light open/auth/enc and STAMP open/auth), twamp-ping runs in the
# peer namespace over kernel sockets, IPv4 and IPv6. Each run's JSON is
# checked for what a user reads (sent = received + lost, no loss on a clean
# veth, a sane RTT, the reflector's processing time, hop counts); a wrong
# key, forged replies and a port that never answers must each end with the
# right numbers and exit status, never a hang. Prints TAP; needs root.
#
#   tests/integration/test_ping.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
FORGER="$top/tests/integration/test_ping_forger.py"
# a test bed of this run's own (png + PID): the same script may run from
# several work trees at once
export TW_TB=${TW_TB:-png$(($$ % 100000))}
PEER_IF=$TW_TB-peer0
DUT_V4=198.18.0.1 DUT_V6=2001:2::1 PEER_V4=198.18.0.2 PEER_V6=2001:2::2
P_LIGHT_OPEN=8620 P_LIGHT_AUTH=8621 P_LIGHT_ENC=8622 P_STAMP_OPEN=8623 P_STAMP_AUTH=8624
P_NOBODY=8699 P_FORGER=8690
# test keys (not secret): TWAMP Light AES-128 key | HMAC key, STAMP HMAC key
LIGHT_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
STAMP_KEY=c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf
WRONG_KEY=ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
PASSPHRASE="twamp-ping test passphrase"
COUNT=50
APP=0 FORGE=0 CAP=0

# shellcheck source=tests/integration/tap_lib.sh
. "$top/tests/integration/tap_lib.sh"
peer() { ip netns exec "$PEER_NS" "$@"; }
tb_stop() {
  [ "$FORGE" -ne 0 ] && kill "$FORGE" 2>/dev/null
  [ "$CAP" -ne 0 ] && kill -INT "$CAP" 2>/dev/null
  stop_pids "$APP"
}
tb_open png "${1:-}" twamp-dp twamp-ping

cat >"$LOG/keys.yaml" <<EOF
keys:
  lab: "$PASSPHRASE"
secrets:
  light-key: $LIGHT_KEY
  stamp-key: $STAMP_KEY
  wrong-key: $WRONG_KEY
EOF
cat >"$LOG/reflector.yaml" <<EOF
eal: [--no-huge, -m, "256", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: refl
    device: net_af_packet0,iface=$TW_TB-dut
    ipv4: [$DUT_V4/24]
    ipv6: ["$DUT_V6/64"]
workers:
  lcores: [1]
reflector:
  control:
    listen: ["$DUT_V4:862", "[$DUT_V6]:862"]
    modes: [open, auth, enc, mixed]
    keys: keys.yaml
  light:
    - {port: $P_LIGHT_OPEN, protocol: twamp-light, mode: open}
    - {port: $P_LIGHT_AUTH, protocol: twamp-light, mode: auth, key_id: light-key}
    - {port: $P_LIGHT_ENC, protocol: twamp-light, mode: enc, key_id: light-key}
    - {port: $P_STAMP_OPEN, protocol: stamp, mode: open}
    - {port: $P_STAMP_AUTH, protocol: stamp, mode: auth, key_id: stamp-key}
EOF
umask 022

# usage and setup errors: a clear message and the documented exit code
"$PING" --light -c 0 $DUT_V4 >/dev/null 2>"$LOG/usage.err"; rc=$?
check "bad option value: exit 2 (got $rc) naming the option" \
  sh -c "[ $rc -eq 2 ] && grep -q -- '--count' '$LOG/usage.err'"
"$PING" --stamp -m enc -k "$LOG/keys.yaml" -u stamp-key $DUT_V4 >/dev/null 2>"$LOG/usage2.err"; rc=$?
check "STAMP encrypted mode refused: exit 2 (got $rc)" \
  sh -c "[ $rc -eq 2 ] && grep -q 'STAMP has open and auth modes only' '$LOG/usage2.err'"
"$PING" --light -m auth -k "$LOG/keys.yaml" -u no-such-key $DUT_V4 >/dev/null 2>"$LOG/nokey.err"; rc=$?
check "unknown KeyID: exit 1 (got $rc) naming it" \
  sh -c "[ $rc -eq 1 ] && grep -q 'KeyID not in the key file: no-such-key' '$LOG/nokey.err'"
"$PING" --light -m auth -k "$LOG/keys.yaml" -u stamp-key $DUT_V4 >/dev/null 2>"$LOG/keylen.err"; rc=$?
check "a STAMP key for TWAMP Light: exit 1 (got $rc), says 48 octets" \
  sh -c "[ $rc -eq 1 ] && grep -q '48 octets' '$LOG/keylen.err'"
"$PING" --light no-such-host.invalid >/dev/null 2>"$LOG/resolve.err"; rc=$?
check "unresolvable host: exit 1 (got $rc), says so" \
  sh -c "[ $rc -eq 1 ] && grep -q 'cannot resolve' '$LOG/resolve.err'"

"$TESTBED" down >/dev/null 2>&1
check "test bed up" "$TESTBED" up
ip netns exec "$DUT_NS" "$DP" -c "$LOG/reflector.yaml" --idle-us 100 2>"$LOG/app.err" &
APP=$!
for _ in $(seq 1 200); do
  grep -q "twamp-dp: running:" "$LOG/app.err" 2>/dev/null && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.1
done
if grep -q "twamp-dp: running:" "$LOG/app.err"; then ok "twamp-dp starts"; else
  notok "twamp-dp starts"; sed 's/^/# /' "$LOG/app.err"; fi
check "twamp-dp serves TWAMP-Control and OWAMP-Control on both addresses" \
  sh -c "[ \$(grep -c 'control: \(TWAMP\|OWAMP\)-Control on' '$LOG/app.err') -eq 4 ]"
peer ping -c 1 -W 2 $DUT_V4 >/dev/null 2>&1
peer ping -6 -c 1 -W 2 $DUT_V6 >/dev/null 2>&1

# json_ok FILE COUNT: what a user checks in the results of a clean run
json_ok() {
  "$PY" - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
pk = d["packets"]
sent, recv, lost = pk["sent"], pk["received"], pk["lost"]
assert sent == n, "sent %d, want %d" % (sent, n)
assert sent == recv + lost, "sent %d != received %d + lost %d" % (sent, recv, lost)
assert lost == 0 and pk["duplicates"] == 0, "lost %d on a clean veth" % lost
oneway = d["session"]["kind"] == "one-way"
if oneway:
    # same host, clocks of both ends on one system clock, still flagged
    # unreliable (no synchronisation claimed): only check it is there
    fwd = d["delay"]["forward"]
    assert fwd["n"] == n and abs(fwd["median_ns"]) < 1e9, fwd
else:
    # t4 - t1 is on twamp-ping's own clock: always positive. The RTT
    # without the reflector's processing time also depends on the
    # reflector's t3 - t2; under heavy load twamp-dp has reported a
    # processing time above the whole round trip for single packets, so
    # only its median is held to > 0 here (see the report of issue 4)
    raw = d["delay"]["rtt_raw"]
    assert raw["n"] == n and 0 < raw["min_ns"] <= raw["median_ns"] <= raw["max_ns"] < 1e9, raw
    rtt = d["delay"]["rtt"]
    assert rtt["n"] == n and 0 < rtt["median_ns"] <= rtt["max_ns"] < 1e9, rtt
    proc = d["delay"]["reflector_processing"]
    assert proc["n"] == n and 0 <= proc["min_ns"] <= proc["max_ns"] < 1e8, proc
    if d["session"]["protocol"] == "twamp":
        ld = d["loss_direction"]
        assert ld["known"] and ld["forward"] == 0 and ld["backward"] == 0, ld
hops = d["hops"]
for dirn in (("forward",) if oneway else ("forward", "backward")):
    h = hops[dirn]
    assert h["n"] == n and h["min"] == 0 and h["max"] == 0, hops
assert d["session"]["timestamps"] in ("kernel", "hw"), d["session"]
x = d["twamp_ping"]
assert x["rejected"]["total"] == 0, x["rejected"]
assert x["departure_user"]["p50_ns"] >= 0, x
EOF
}

run_mode() { # DST PORT LABEL ARGS...
  local dst=$1 port=$2 label=$3 out
  shift 3
  out="$LOG/$label-${dst//:/_}"
  peer "$PING" -p "$port" -c $COUNT -i 0.002 -L 1 --json "$out.json" "$@" $dst \
    >"$out.txt" 2>"$out.err"
  local rc=$?
  check "$label to $dst: exit 0 (got $rc)" test $rc -eq 0
  check "$label to $dst: JSON sent = received + lost = $COUNT, no loss, RTT and processing time sane, 0 hops" \
    json_ok "$out.json" $COUNT
  check "$label to $dst: summary printed" grep -q "$COUNT sent" "$out.txt"
}

K=(-k "$LOG/keys.yaml")
# full TWAMP against twamp-dp's server: every mode, both families
for dst in $DUT_V4 $DUT_V6; do
  run_mode $dst 862 twamp-open
  run_mode $dst 862 twamp-auth -m auth "${K[@]}" -u lab
  run_mode $dst 862 twamp-enc -m enc "${K[@]}" -u lab
  run_mode $dst 862 twamp-mixed -m mixed "${K[@]}" -u lab
done
# every option twamp-dp offers, asked for (and so required)
run_mode $DUT_V4 862 twamp-individual --individual -m auth "${K[@]}" -u lab
run_mode $DUT_V6 862 twamp-reflect --reflect-octets 16
run_mode $DUT_V4 862 twamp-sym --sym-size -m enc "${K[@]}" -u lab
run_mode $DUT_V6 862 twamp-dscpecn --dscp-ecn -D EF
run_mode $DUT_V6 862 twamp-source -S $PEER_V6 --source-port 40124
check "RFC 7750: the reflector reported DSCP EF (46) of every packet, no change" \
  "$PY" -c "import json,sys; f=json.load(open(sys.argv[1]))['dscp_ecn']['forward']; sys.exit(0 if f['n']==$COUNT and f['last_dscp']==46 and f['dscp_changed']==0 else 1)" \
  "$LOG/twamp-dscpecn-${DUT_V6//:/_}.json"
check "RFC 6038 symmetrical size: the sender packet is as large as the reply (112 + 0)" \
  "$PY" -c "import json,sys; s=json.load(open(sys.argv[1]))['session']; sys.exit(0 if s['packet_size']==112 else 1)" \
  "$LOG/twamp-sym-$DUT_V4.json"
# OWAMP: twamp-dp receives, twamp-ping fetches the one-way results
for dst in $DUT_V4 $DUT_V6; do
  run_mode $dst 861 owamp-open --owamp
  run_mode $dst 861 owamp-auth --owamp -m auth "${K[@]}" -u lab
  run_mode $dst 861 owamp-enc --owamp -m enc "${K[@]}" -u lab --poisson
done
# concurrent sessions (a thread each): three TWAMP sessions on one control
# connection started and stopped together with RFC 5938 Start-N/Stop-N,
# two OWAMP sessions, four TWAMP Light flows; FILE.1 .. FILE.N each clean
multi() { # LABEL N DST ARGS...
  local label=$1 n=$2 dst=$3 i
  shift 3
  peer timeout 60 "$PING" --sessions $n -c $COUNT -i 0.002 -L 1 -q --json "$LOG/$label.json" "$@" $dst \
    >"$LOG/$label.txt" 2>&1
  local rc=$?
  check "$label: $n concurrent sessions, exit 0 (got $rc)" test $rc -eq 0
  for i in $(seq 1 $n); do
    check "$label: session $i of $n clean ($label.$i.json)" json_ok "$LOG/$label.$i.json" $COUNT
  done
}
multi twamp-multi 3 $DUT_V4 --individual -m enc "${K[@]}" -u lab
multi owamp-multi 2 $DUT_V6 --owamp -m auth "${K[@]}" -u lab
multi light-multi 4 $DUT_V6 --light -p $P_LIGHT_OPEN

# control failures: a clear message, exit 1
umask 077
printf 'keys:\n  lab: "not the passphrase"\n' >"$LOG/wrong-pass.yaml"
umask 022
peer timeout 30 "$PING" -m auth -k "$LOG/wrong-pass.yaml" -u lab -c 5 $DUT_V4 >/dev/null 2>"$LOG/badpass.err"; rc=$?
check "TWAMP with a wrong passphrase: exit 1 (got $rc), the server's Accept 1 named" \
  sh -c "[ $rc -eq 1 ] && grep -q 'Accept 1' '$LOG/badpass.err'"
peer timeout 30 "$PING" --owamp -m enc -k "$LOG/wrong-pass.yaml" -u lab -c 5 $DUT_V6 >/dev/null 2>"$LOG/owbadpass.err"; rc=$?
check "OWAMP with a wrong passphrase: exit 1 (got $rc), the server's Accept 1 named" \
  sh -c "[ $rc -eq 1 ] && grep -q 'Accept 1' '$LOG/owbadpass.err'"
peer timeout 30 "$PING" -p 8862 -c 5 $DUT_V4 >/dev/null 2>"$LOG/refused.err"; rc=$?
check "TWAMP to a closed control port: exit 1 (got $rc), connection refused" \
  sh -c "[ $rc -eq 1 ] && grep -q 'refused' '$LOG/refused.err'"

for dst in $DUT_V4 $DUT_V6; do
  run_mode $dst $P_LIGHT_OPEN light-open --light
  run_mode $dst $P_LIGHT_AUTH light-auth --light -m auth "${K[@]}" -u light-key
  run_mode $dst $P_LIGHT_ENC light-enc --light -m enc "${K[@]}" -u light-key
  run_mode $dst $P_STAMP_OPEN stamp-open --stamp
  run_mode $dst $P_STAMP_AUTH stamp-auth --stamp -m auth "${K[@]}" -u stamp-key -s 64
done

# options that change the packets: DSCP, padding, Poisson, per-packet
# output; the packets as they leave, decoded by tshark (an independent
# decoder): numbered from 0, TTL 255, DSCP AF41, Don't Fragment, 14 + 200
# octets of UDP payload, a valid Error Estimate
if command -v tshark >/dev/null && command -v tcpdump >/dev/null; then
  ip netns exec "$PEER_NS" tcpdump -i "$PEER_IF" --immediate-mode -U -w "$LOG/tx.pcap" \
    "udp and dst port $P_LIGHT_OPEN and src host $PEER_V4" 2>"$LOG/tcpdump.err" &
  CAP=$!
  for _ in $(seq 1 50); do grep -q listening "$LOG/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
fi
peer "$PING" --light -p $P_LIGHT_OPEN -c 20 -i 0.002e -D AF41 -s 200 \
  --per-packet "$LOG/pp.csv" --json "$LOG/opts.json" $DUT_V4 >"$LOG/opts.txt" 2>&1
if [ "${CAP:-0}" -ne 0 ]; then
  sleep 0.3
  kill -INT "$CAP" 2>/dev/null
  wait "$CAP" 2>/dev/null
  CAP=0
  tshark -r "$LOG/tx.pcap" -d udp.port==$P_LIGHT_OPEN,twamp.test -Y twamp.test -T fields -E separator=, \
    -e twamp.test.seq_number -e ip.ttl -e ip.dsfield.dscp -e ip.flags.df -e udp.length \
    -e twamp.test.error_estimate.multiplier >"$LOG/tx.csv" 2>"$LOG/tshark.err"
  check "tshark: 20 sender packets, numbered 0..19" \
    sh -c "[ \$(wc -l <'$LOG/tx.csv') -eq 20 ] && [ \"\$(cut -d, -f1 '$LOG/tx.csv' | tr '\\n' ' ')\" = '$(seq -s ' ' 0 19) ' ]"
  check "tshark: every packet TTL 255, DSCP 34 (AF41), DF set, UDP length 8 + 14 + 200, Multiplier != 0" \
    awk -F, '$2!=255 || $3!=34 || $4!=1 || $5!=222 || $6==0 {bad=1} END {exit bad}' "$LOG/tx.csv"
fi
check "Poisson, DSCP AF41, 200 octets padding: clean run" json_ok "$LOG/opts.json" 20
check "the results name the DSCP (AF41 = 34), the padding and the schedule" \
  "$PY" -c "import json,sys; s=json.load(open(sys.argv[1]))['session']; sys.exit(0 if s['dscp']==34 and s['padding']==200 and s['schedule']=='poisson' else 1)" "$LOG/opts.json"
check "per-packet CSV: a header and one line per packet" \
  test "$(wc -l <"$LOG/pp.csv")" -eq 21
peer "$PING" --stamp -p $P_STAMP_OPEN -c 20 -i 0.002 --per-packet "$LOG/pp.jsonl" \
  --format jsonl -q $DUT_V6 >"$LOG/jsonl.txt" 2>&1
check "per-packet JSON Lines: one JSON object per packet, -q prints nothing" \
  sh -c "[ ! -s '$LOG/jsonl.txt' ] && [ \$(wc -l <'$LOG/pp.jsonl') -eq 20 ] && \
    '$PY' -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' '$LOG/pp.jsonl'"

# source address and port as asked, named in the results; a forced
# progress line (a terminal gets it by itself on runs over 3 s)
peer "$PING" --stamp -p $P_STAMP_OPEN -c 150 -i 0.01 -S $PEER_V4 --source-port 40123 --progress \
  --json "$LOG/src.json" $DUT_V4 >"$LOG/src.txt" 2>&1
check "-S and --source-port: the results name $PEER_V4 port 40123" \
  "$PY" -c "import json,sys; s=json.load(open(sys.argv[1]))['session']; sys.exit(0 if s['src_addr']=='$PEER_V4' and s['src_port']==40123 else 1)" "$LOG/src.json"
check "-S and --source-port: a clean run" json_ok "$LOG/src.json" 150
check "--progress: a once-a-second line was drawn and erased" \
  "$PY" -c "import sys; t=open(sys.argv[1], newline='').read(); sys.exit(0 if t.count('\\r') >= 2 and '\\r\\033[K---' in t else 1)" "$LOG/src.txt"

# by duration: packet i leaves i + 1 intervals after the start and the last
# one at the end of the duration, so 1 s at 200 pps is 200 packets
peer "$PING" --light -p $P_LIGHT_OPEN -d 1 -r 200 -q --json "$LOG/dur.json" $DUT_V6 >/dev/null 2>&1
check "-d 1 -r 200: 200 sent, sent = received + lost" \
  "$PY" -c "import json,sys; r=json.load(open(sys.argv[1]))['packets']; sys.exit(0 if r['sent']==200 and r['sent']==r['received']+r['lost'] else 1)" "$LOG/dur.json"

# NIC timestamps asked for on a NIC without them (veth): a clear error
peer timeout 30 "$PING" --light -p $P_LIGHT_OPEN --hw-timestamps "$PEER_IF" -c 5 $DUT_V4 >/dev/null 2>"$LOG/hw.err"; rc=$?
check "--hw-timestamps on a veth: exit 1 (got $rc), names the interface" \
  sh -c "[ $rc -eq 1 ] && grep -q 'hardware timestamps on $PEER_IF' '$LOG/hw.err'"

# no route: the first packet cannot leave, a setup error
peer timeout 30 "$PING" --stamp -p 862 -c 5 203.0.113.1 >/dev/null 2>"$LOG/noroute.err"; rc=$?
check "no route to the reflector: exit 1 (got $rc), says so" \
  sh -c "[ $rc -eq 1 ] && grep -q 'cannot send test packets to 203.0.113.1 port 862: Network is unreachable' '$LOG/noroute.err'"

# a packet above the path MTU: an error, never silent fragmentation
peer timeout 30 "$PING" --light -p $P_LIGHT_OPEN -s 3000 -c 5 $DUT_V4 >/dev/null 2>"$LOG/mtu.err"; rc=$?
check "3014-octet packets on a 1500-octet path: exit 1 (got $rc), says the MTU" \
  sh -c "[ $rc -eq 1 ] && grep -q 'does not fit the path MTU' '$LOG/mtu.err'"

# a wrong key: the reflector drops every packet (bad HMAC), the run ends
# after the timeout with 100 % loss and says why that may be
peer timeout 30 "$PING" --light -p $P_LIGHT_AUTH -m auth "${K[@]}" -u wrong-key -c 10 -i 0.01 -L 0.5 \
  --json "$LOG/wrong.json" $DUT_V4 >"$LOG/wrong.txt" 2>"$LOG/wrong.err"; rc=$?
check "wrong key: run completes, exit 0 (got $rc)" test $rc -eq 0
check "wrong key: 10 sent, 10 lost in the JSON" \
  "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); r=d['packets']; sys.exit(0 if r['sent']==10 and r['lost']==10 and r['received']==0 else 1)" "$LOG/wrong.json"
check "wrong key: the summary points at the key" grep -q "wrong key" "$LOG/wrong.txt"

# a port nobody answers: 100 % loss after the timeout, not a hang
peer timeout 30 "$PING" --stamp -p $P_NOBODY -c 10 -i 0.01 -L 0.5 --json "$LOG/nobody.json" $DUT_V6 \
  >"$LOG/nobody.txt" 2>&1; rc=$?
check "unanswered port: exit 0 (got $rc), no hang" test $rc -eq 0
check "unanswered port: 100 % loss in the JSON" \
  "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); r=d['packets']; sys.exit(0 if r['sent']==10 and r['lost']==10 and r['loss_ratio']==1 else 1)" "$LOG/nobody.json"

# forged replies: counted by reason, never used; all rejected -> exit 3
forge() { # KIND -> runs a forger in the peer namespace on $PEER_V4:$P_FORGER
  ip netns exec "$PEER_NS" "$PY" "$FORGER" $PEER_V4 $P_FORGER --kind "$1" --seconds 10 >"$LOG/forger.out" 2>&1 &
  FORGE=$!
  for _ in $(seq 1 300); do grep -q ready "$LOG/forger.out" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$LOG/forger.out" 2>/dev/null || { echo "forger ($1) did not start:"; cat "$LOG/forger.out"; } >>"$LOG/steps"
}
unforge() { kill "$FORGE" 2>/dev/null; wait "$FORGE" 2>/dev/null; FORGE=0; }
for spec in "hmac:bad_hmac:--light -m auth ${K[*]} -u light-key" "short:short:--light" \
            "mismatch:mismatch:--light" "unknown:unknown_seq:--stamp"; do
  kind=${spec%%:*} rest=${spec#*:} reason=${rest%%:*} args=${rest#*:}
  forge "$kind"
  # shellcheck disable=SC2086
  peer timeout 30 "$PING" $args -p $P_FORGER -c 10 -i 0.01 -L 0.5 --json "$LOG/forged-$kind.json" \
    $PEER_V4 >"$LOG/forged-$kind.txt" 2>"$LOG/forged-$kind.err"; rc=$?
  unforge
  check "forged replies ($kind): exit 3 (got $rc), stderr says all were rejected" \
    sh -c "[ $rc -eq 3 ] && grep -q 'all 10 replies were rejected' '$LOG/forged-$kind.err'"
  check "forged replies ($kind): 10 counted as $reason, none received" \
    "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); r=d['packets']; x=d['twamp_ping']['rejected']; sys.exit(0 if x['$reason']==10 and r['received']==0 and r['lost']==10 else 1)" "$LOG/forged-$kind.json"
done

kill -TERM "$APP" 2>/dev/null
for _ in $(seq 1 100); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
wait "$APP" 2>/dev/null
APP=0
if [ "$FAILED" -ne 0 ]; then
  echo "# twamp-dp log:"
  sed 's/^/#   /' "$LOG/app.err" | tail -n 20
fi
check "test bed down" "$TESTBED" down
finish
