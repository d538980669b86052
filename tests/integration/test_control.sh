#!/usr/bin/env bash
# twamp-dp's TWAMP-Control / OWAMP-Control server end to end: twamp-dp with
# reflector.control in its own test bed (TW_TB=ctl); twamp-ping (the
# kernel-socket client) in the peer namespace sets up full TWAMP sessions in
# every mode (open, auth, enc, mixed) and option (RFC 5938, RFC 6038,
# RFC 7750) over IPv4 and IPv6, the worker reflects the test packets and
# twamp-ping checks every reply (HMAC, sequence, Sender Timestamp); OWAMP
# with the appliance as receiver: test packets recorded by the worker,
# Fetch-Session returns them. Negative cases (wrong passphrase, unknown
# KeyID, garbage, a stalled client) each close only their own connection:
# the server keeps serving, the counters (/twamp/ctrl/stats) say why.
# Prints TAP; needs root; about 40 s.
#
#   tests/integration/test_control.sh BUILD_DIR
set -uo pipefail
export TW_TB=ctl
PREFIX=tw-ctl-$$
LOG=$(mktemp -d /tmp/tw-ctl.XXXXXX)
. "$(dirname "$0")/test_control_common.bash"
PASS="EXAMPLE passphrase - change me"
COUNT=20

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
stat_of() { tel_of /twamp/ctrl/stats "$1"; }
cleanup() {
  [ -n "${KEEP_LOG:-}" ] && cp "$LOG/app.err" /tmp/ctl-app.err
  dp_stop_all
  rm -rf "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
need_root_and "$PING"

umask 077
cat >"$LOG/keys.yaml" <<EOF
keys:
  lab: "$PASS"
  other: "another passphrase"
EOF
cat >"$LOG/wrong.yaml" <<EOF
keys:
  lab: "not the passphrase"
  nobody: "$PASS"
EOF
cat >"$LOG/dp.yaml" <<EOF
eal: [--no-huge, -m, "256", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: ctl
    device: net_af_packet0,iface=$DUT_IF
    ipv4: [$DUT_V4/24]
    ipv6: ["$DUT_V6/64"]
workers:
  lcores: [1]
reflector:
  control:
    listen: ["$DUT_V4:862", "[$DUT_V6]:862"]
    modes: [open, auth, enc, mixed]
    keys: keys.yaml
    count: 1024
    max_connections: 8
    max_sessions_per_connection: 4
    refwait_s: 2
EOF
umask 022

check "configuration passes twamp-dp --check" "$DP" --check "$LOG/dp.yaml"
dp_start "$LOG/dp.yaml"
check "log: TWAMP-Control listens on both addresses" \
  test "$(grep -c 'control: TWAMP-Control on' "$LOG/app.err")" -eq 2
check "log: OWAMP-Control listens on port 861" grep -q "control: OWAMP-Control on $DUT_V4:861" "$LOG/app.err"
check "log: no 'not built yet' warning for reflector.control" \
  sh -c "! grep -q 'reflector.control.*not built' '$LOG/app.err'"
# neighbours resolved before the first measurement
peer ping -c 1 -W 2 $DUT_V4 >/dev/null 2>&1
peer ping -6 -c 1 -W 2 $DUT_V6 >/dev/null 2>&1

# every mode and option, IPv4 and IPv6: all packets reflected, none rejected
run_ping() { # name, json, args...
  local name=$1 json=$2; shift 2
  if peer "$PING" -q -c $COUNT -i 0.01 -L 1 --json "$json" "$@" >"$LOG/ping.out" 2>&1; then
    check "$name: $COUNT sent, $COUNT received, none rejected" \
      $PY - "$json" $COUNT <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
s = d["sessions"][0] if "sessions" in d else d
txt = json.dumps(d)
sent = s.get("sent", s.get("packets", {}).get("sent"))
recv = s.get("received", s.get("packets", {}).get("received"))
rej = d.get("twamp_ping", {}).get("rejected", {}).get("total", 0)
assert sent == n and recv == n and rej == 0, (sent, recv, rej)
EOF
  else
    notok "$name: twamp-ping exit $?"; sed 's/^/# /' "$LOG/ping.out"
  fi
}
for fam in 4 6; do
  host=$DUT_V4; [ $fam = 6 ] && host=$DUT_V6
  run_ping "TWAMP open IPv$fam" "$LOG/o$fam.json" -$fam $host
  run_ping "TWAMP auth IPv$fam" "$LOG/a$fam.json" -$fam -m auth -k "$LOG/keys.yaml" -u lab $host
  run_ping "TWAMP enc IPv$fam" "$LOG/e$fam.json" -$fam -m enc -k "$LOG/keys.yaml" -u lab $host
  run_ping "TWAMP mixed IPv$fam" "$LOG/m$fam.json" -$fam -m mixed -k "$LOG/keys.yaml" -u lab $host
done
run_ping "TWAMP enc with RFC 6038 reflect octets + symmetrical size, RFC 7750 DSCP-ECN" \
  "$LOG/opt.json" -m enc -k "$LOG/keys.yaml" -u lab --reflect-octets 8 --sym-size --dscp-ecn -D AF41 $DUT_V4
run_ping "TWAMP auth with RFC 5938 individual session control, IPv6" \
  "$LOG/ind.json" -6 -m auth -k "$LOG/keys.yaml" -u lab --individual $DUT_V6
run_ping "TWAMP open, a requested reflector port" "$LOG/port.json" -P 30862 $DUT_V4

# OWAMP: the appliance receives, Fetch-Session returns the records
relay peer $PY "$RAW" $DUT_V4 861 owamp
relay peer $PY "$RAW" $DUT_V6 861 owamp
# twamp-ping as OWAMP client in every mode
for m in open auth enc; do
  args=(); [ $m != open ] && args=(-m $m -k "$LOG/keys.yaml" -u lab)
  run_ping "OWAMP $m IPv4 with twamp-ping (appliance as receiver, records fetched)" \
    "$LOG/ow-$m.json" --owamp "${args[@]}" $DUT_V4
done
run_ping "OWAMP enc IPv6 with twamp-ping" "$LOG/ow6.json" --owamp -6 -m enc -k "$LOG/keys.yaml" -u lab $DUT_V6

# negative cases; each closes only its own connection
peer "$PING" -q -c 3 -m auth -k "$LOG/wrong.yaml" -u lab $DUT_V4 >"$LOG/wp.out" 2>&1; rc=$?
check "wrong passphrase: twamp-ping fails (exit $rc) with Accept 1 (failure)" \
  sh -c "[ $rc -eq 1 ] && grep -qi 'accept.*1\|failure\|refused' '$LOG/wp.out'"
peer "$PING" -q -c 3 -m enc -k "$LOG/wrong.yaml" -u nobody $DUT_V4 >"$LOG/uk.out" 2>&1; rc=$?
check "unknown KeyID: twamp-ping fails (exit $rc)" test $rc -eq 1
relay peer $PY "$RAW" $DUT_V4 862
check "counters: bad_token 1" test "$(stat_of close_bad_token)" = 1
check "counters: unknown_keyid 1" test "$(stat_of close_unknown_keyid)" = 1
check "counters: unknown_command >= 1 (garbage after setup)" test "$(stat_of close_unknown_command)" -ge 1
check "counters: deadline >= 1 (stalled client)" test "$(stat_of close_deadline)" -ge 1
check "log: a close line with its reason" grep -q "control: TWAMP-Control .*: closed: bad_token" "$LOG/app.err"
relay peer $PY "$RAW" $DUT_V4 862 refwait 3.5
check "counters: refwait_expired >= 1" test "$(stat_of refwait_expired)" -ge 1
run_ping "server still serves after the negative cases" "$LOG/after.json" -m enc -k "$LOG/keys.yaml" -u lab $DUT_V4
check "no session left behind" test "$(stat_of sessions)" = 0
"$CTL" -p "$PREFIX" stats >"$LOG/stats.txt" 2>&1
check "twamp-ctl stats has a control line" grep -q "^control: " "$LOG/stats.txt"
grep "^control: " "$LOG/stats.txt" | sed 's/^/# /'

dp_term

echo "1..$N"
[ "$FAILED" -eq 0 ]
