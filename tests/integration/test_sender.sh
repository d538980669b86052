#!/usr/bin/env bash
# twamp-dp as the Session-Sender end to end: twamp-dp in the dut namespace
# sends TWAMP Light and STAMP streams (open / auth / enc, IPv4 and IPv6) to a
# kernel-socket reflector in the peer namespace (twl_reflector.py, its own
# layouts and crypto); replies come back through the data plane's receiver.
# Checks the results JSON of every session (sent = received + lost, replies
# for all, sane delays, loss and duplicates where the reflector made them on
# purpose, per-packet JSON Lines), `twamp-ctl run` (summary and --json), the
# errors a user meets (unresolvable next hop, unknown key) and a clean stop.
# Prints TAP; needs root; about 30 s.
#
#   tests/integration/test_sender.sh BUILD_DIR
# (TW_TB=NAME: a test bed of that name instead of "snd")
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
REFL="$top/tests/integration/twl_reflector.py"
export TW_TB=${TW_TB:-snd}
PEER_V4=198.18.0.2 PEER_V6=2001:2::2
# test keys (not secret): TWAMP Light AES-128 key | HMAC key, STAMP HMAC key
LIGHT_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
STAMP_KEY=c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf
COUNT=50
APP=0 RPID=0

# shellcheck source=tests/integration/tap_lib.sh
. "$top/tests/integration/tap_lib.sh"
ctl() { ip netns exec "$DUT_NS" "$CTL" -p "$PREFIX" "$@"; }
tb_stop() { stop_pids "$APP" "$RPID"; }
tb_open snd "${1:-}" twamp-dp twamp-ctl

cat >"$LOG/keys.yaml" <<EOF
secrets:
  light-key: $LIGHT_KEY
  stamp-key: $STAMP_KEY
EOF
# port: protocol, mode, key, what the reflector does on purpose
#  8630 light open   8631 light auth   8632 light enc   8633 stamp open
#  8634 stamp auth   8635 light open, drops every 10th reply, duplicates every 25th
cat >"$LOG/sender.yaml" <<EOF
eal: [--no-huge, -m, "256", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: snd
    device: net_af_packet0,iface=$TW_TB-dut
    ipv4: [198.18.0.1/24]
    ipv6: ["2001:2::1/64"]
workers:
  lcores: [1]
reflector:
  control: {enabled: false, keys: keys.yaml}
sender:
  sessions:
    - {name: l-open-v4, peer: $PEER_V4, peer_port: 8630, protocol: twamp-light, count: $COUNT, interval_us: 1000, dscp: 46}
    - {name: l-auth-v6, peer: "$PEER_V6", peer_port: 8631, protocol: twamp-light, mode: auth, key_id: light-key, count: $COUNT, interval_us: 1000}
    - {name: l-enc-v4, peer: $PEER_V4, peer_port: 8632, protocol: twamp-light, mode: enc, key_id: light-key, count: $COUNT, rate_pps: 1000, schedule: poisson}
    - {name: l-enc-v6, peer: "$PEER_V6", peer_port: 8632, protocol: twamp-light, mode: enc, key_id: light-key, count: $COUNT, interval_us: 1000}
    - {name: s-open-v6, peer: "$PEER_V6", peer_port: 8633, protocol: stamp, count: $COUNT, interval_us: 1000, padding: 100}
    - {name: s-auth-v4, peer: $PEER_V4, peer_port: 8634, protocol: stamp, mode: auth, key_id: stamp-key, count: $COUNT, interval_us: 1000}
    - {name: lossy, peer: $PEER_V4, peer_port: 8635, protocol: twamp-light, count: 100, interval_us: 1000}
    - {name: nowhere, peer: 198.18.0.99, peer_port: 862, protocol: stamp, count: 5}
results: {dir: $LOG/results, per_packet: jsonl}
EOF
umask 022

"$TESTBED" down >/dev/null 2>&1
check "test bed up" "$TESTBED" up
check "configuration passes twamp-dp --check" "$DP" --check "$LOG/sender.yaml"

ip netns exec "$PEER_NS" "$PY" "$REFL" 90 8630:light:open "8631:light:auth:$LIGHT_KEY" \
  "8632:light:enc:$LIGHT_KEY" 8633:stamp:open "8634:stamp:auth:$STAMP_KEY" \
  8635:light:open:drop=10:dup=25 >"$LOG/refl.out" 2>&1 &
RPID=$!
for _ in $(seq 1 50); do grep -q listening "$LOG/refl.out" 2>/dev/null && break; sleep 0.1; done
check "reflector in the peer namespace listens" grep -q listening "$LOG/refl.out"

# --idle-us: the worker (which also runs the sender here) naps when idle
ip netns exec "$DUT_NS" "$DP" -c "$LOG/sender.yaml" --idle-us 100 2>"$LOG/app.err" &
APP=$!
sessions="l-open-v4 l-auth-v6 l-enc-v4 l-enc-v6 s-open-v6 s-auth-v4 lossy"
for _ in $(seq 1 300); do
  n=0
  for s in $sessions; do grep -q "session $s: done" "$LOG/app.err" && n=$((n + 1)); done
  [ "$n" -eq 7 ] && grep -q "session nowhere: " "$LOG/app.err" && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.1
done
check "twamp-dp logs where the sender runs" \
  grep -q "twamp-dp: sender: in worker 0's loop (no sender.lcore), 8 configured session(s)" "$LOG/app.err"
for s in $sessions; do
  check "session $s: next hop resolved from the TAP's neighbour table" \
    grep -Eq "session $s: .* next hop [0-9a-f:.]+ \(0a|[0-9a-f]{2}:" "$LOG/app.err"
  check "session $s: summary line and a results file" \
    grep -Eq "session $s: done: sent [0-9]+, received [0-9]+, lost .* results $LOG/results/$s-.*\.json" "$LOG/app.err"
done
check "an unresolvable peer fails with a message naming it and the TAP" \
  grep -q "session nowhere: peer 198.18.0.99: next hop did not resolve on tw-snd within 3 s" "$LOG/app.err"

# the results files, checked by an independent reader
cat >"$LOG/check.py" <<'EOF'
import glob, json, sys
d, name, count, lost, dup, proto, mode = sys.argv[1:8]
count, lost, dup = int(count), int(lost), int(dup)
f = sorted(glob.glob("%s/%s-*.json" % (d, name)))
assert len(f) == 1, "one results file, got %s" % f
r = json.load(open(f[0]))
s, p = r["session"], r["packets"]
def want(what, got, exp):
    assert got == exp, "%s: %r, expected %r" % (what, got, exp)
want("tool", r["tool"], "twamp-dp")
want("protocol", s["protocol"], proto)
want("mode", s["mode"], mode)
want("finished", s["finished"], True)
want("sent", p["sent"], count)
want("sent = received + lost", p["received"] + p["lost"], p["sent"])
want("lost", p["lost"], lost)
want("duplicates", p["duplicates"], dup)
want("unexpected", p["unexpected"], 0)
want("in flight", p["in_flight"], 0)
rtt = r["delay"]["rtt"]
want("RTT samples", rtt["n"], count - lost)
assert 0 < rtt["min_ns"] <= rtt["median_ns"] <= rtt["max_ns"] < 1e9, "RTT %r" % rtt
ppf = sorted(glob.glob("%s/%s-*.jsonl" % (d, name)))
want("per-packet files", len(ppf), 1)
pp = [json.loads(l) for l in open(ppf[0])]
ok = [x for x in pp if x["status"] == "ok"]
want("per-packet ok rows", len(ok), count - lost)
want("per-packet lost rows", len([x for x in pp if x["status"] == "lost"]), lost)
assert all(x["t1_ns"] <= x["t4_ns"] for x in ok), "t1 after t4"
assert sorted(x["seq"] for x in ok + [x for x in pp if x["status"] == "lost"]) == list(range(count))
EOF
chk() { "$PY" "$LOG/check.py" "$LOG/results" "$@"; }
check "l-open-v4: all $COUNT back, RTTs sane, per-packet rows" chk l-open-v4 $COUNT 0 0 twamp-light open
check "l-auth-v6: all back (HMAC verified both ways)" chk l-auth-v6 $COUNT 0 0 twamp-light authenticated
check "l-enc-v4 (Poisson): all back (encrypted both ways)" chk l-enc-v4 $COUNT 0 0 twamp-light encrypted
check "l-enc-v6: all back" chk l-enc-v6 $COUNT 0 0 twamp-light encrypted
check "s-open-v6 with an Extra Padding TLV: all back" chk s-open-v6 $COUNT 0 0 stamp open
check "s-auth-v4: all back (HMAC-SHA-256 both ways)" chk s-auth-v4 $COUNT 0 0 stamp authenticated
check "lossy: 10 of 100 lost, 4 duplicates, sent = received + lost" chk lossy 100 10 4 twamp-light open
check "l-open-v4: the reflector saw TTL 255 (RFC 5357 §4.1.2)" \
  "$PY" -c "
import glob, json
pp = [json.loads(l) for l in open(sorted(glob.glob('$LOG/results/l-open-v4-*.jsonl'))[0])]
assert all(x['ttl_fwd'] == 255 for x in pp if x['status'] == 'ok'), 'sender TTL'
"

# telemetry counters
ctl query /twamp/send/stats >"$LOG/sstats.json" 2>&1
check "/twamp/send/stats: every packet sent, none dropped" \
  "$PY" -c "
import json; s = json.load(open('$LOG/sstats.json'))
assert s['sent'] == 6 * $COUNT + 100, s
assert s['tx_drop'] == 0 and s['crypto_err'] == 0, s
assert s['depart_count'] == s['sent'], s"

ctl stats >"$LOG/ctlstats.out" 2>&1
check "twamp-ctl stats has a sender line (worker 0, every packet) and the runs" \
  sh -c "grep -q '^sender (worker 0): sent $((6 * COUNT + 100)), tx drops 0, late [0-9]*, stalls 0, crypto errors 0; streams 0 running' '$LOG/ctlstats.out' &&
         grep -q '^  runs: .* done' '$LOG/ctlstats.out' && ! grep -q '/twamp/send/' '$LOG/ctlstats.out'"

# twamp-ctl run: ad-hoc runs on the running appliance
ctl run $PEER_V4 --port 8633 --protocol stamp --count 20 --interval-us 2000 >"$LOG/run1.out" 2>"$LOG/run1.err"
rc=$?
check "twamp-ctl run (STAMP, IPv4): exit 0 and the twping-like summary" \
  sh -c "[ $rc -eq 0 ] && grep -q '^20 sent, 0 lost' '$LOG/run1.out' && grep -q '^results: ' '$LOG/run1.out'"
ctl run $PEER_V6 --port 8631 --mode auth --key-id light-key --count 20 --rate 500 --poisson \
  --padding 64 --dscp 10 --json >"$LOG/run2.json" 2>"$LOG/run2.err"
rc=$?
check "twamp-ctl run --json (TWAMP Light auth, IPv6, Poisson): the results document" \
  "$PY" -c "
import json; r = json.load(open('$LOG/run2.json'))
assert $rc == 0
assert r['packets']['sent'] == 20 and r['packets']['received'] == 20, r['packets']
assert r['session']['schedule'] == 'poisson' and r['session']['dscp'] == 10, r['session']
assert r['session']['dst_addr'] == '$PEER_V6'"
# an off-link peer: the next hop is the gateway of the TAP's route
ip netns exec "$PEER_NS" ip addr add 203.0.113.2/32 dev lo
ip netns exec "$DUT_NS" ip route add 203.0.113.0/24 via $PEER_V4 dev tw-snd
ctl run 203.0.113.2 --port 8630 --count 10 --interval-us 1000 >"$LOG/gw.out" 2>&1
rc=$?
check "off-link peer: next hop = the route's gateway, all 10 back" \
  sh -c "[ $rc -eq 0 ] && grep -q '^10 sent, 0 lost' '$LOG/gw.out' &&
         grep -q 'session run: twamp-light open to 203.0.113.2 port 8630 .* next hop $PEER_V4 ' '$LOG/app.err'"
ctl run $PEER_V4 --port 8631 --mode auth --key-id nosuchkey >"$LOG/run3.out" 2>&1
rc=$?
check "twamp-ctl run with an unknown key: exit 1 and says so" \
  sh -c "[ $rc -eq 1 ] && grep -q \"key 'nosuchkey': no such secret\" '$LOG/run3.out'"
ctl run $PEER_V4 --count 0 >"$LOG/run4.out" 2>&1
rc=$?
check "twamp-ctl run with a bad value: exit 1 and names it" \
  sh -c "[ $rc -eq 1 ] && grep -q 'bad value for count' '$LOG/run4.out'"

kill -TERM "$APP" 2>/dev/null
wait "$APP"
rc=$?
APP=0
check "SIGTERM stops twamp-dp with exit 0 (got $rc)" test "$rc" -eq 0
kill -TERM "$RPID" 2>/dev/null
wait "$RPID" 2>/dev/null
RPID=0
check "the reflector saw no bad packet (HMACs and layouts agree)" \
  "$PY" -c "
import json; c = json.loads(open('$LOG/refl.out').read().split('\n')[-2])
assert all(v['bad'] == 0 for v in c.values()), c"
check "DSCP on the wire as configured: EF on 8630, 10 from twamp-ctl on 8631, 0 elsewhere" \
  "$PY" -c "
import json; c = json.loads(open('$LOG/refl.out').read().split('\n')[-2])
assert c['8630']['tos'] == [0, 46 << 2], c['8630']  # EF; 0 from the off-link run
assert c['8631']['tos'] == [0, 10 << 2], c['8631']
assert c['8633']['tos'] == [0], c['8633']"

finish
