# Sourced by tests/integration/test_ipsec*.sh (after tap_lib.sh): the parts
# the ESP and AH integration tests share. The caller sets PY, PEERPY,
# PEER_NS, DUT_NS, DUT_V4, PREFIX, LOG and DP.
#   relay CMD...          re-number the "ok - " / "not ok - " lines of CMD
#   peer CMD...           run CMD in the peer namespace
#   tel CMD               one DPDK telemetry reply of the appliance (JSON)
#   jq_sa NAME FIELD      a field of $LOG/NAME.json (/twamp/ipsec/sa)
#   start_dp CONF NAME    start twamp-dp in the DUT namespace (APP = its
#                         pid), one TAP line NAME for "it is running"
#   dut_mac               check the neighbours and set MAC (the appliance's)
#   dp_yaml FILE          write twamp-dp's configuration but ipsec: (one
#                         port, one worker, light ports P_LIGHT, P_STAMP)
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
peer() { ip netns exec "$PEER_NS" "$@"; }
tel() { "$PY" "$PEERPY" tel "$PREFIX" "$1"; }
jq_sa() { "$PY" -c "import json; print(json.load(open('$LOG/$1.json'))['/twamp/ipsec/sa']['$2'])"; }
start_dp() {
  ip netns exec "$DUT_NS" "$DP" -c "$1" --idle-us 100 2>"$LOG/app.err" &
  APP=$!
  for _ in $(seq 1 200); do
    grep -q "twamp-dp: running:" "$LOG/app.err" 2>/dev/null && break
    kill -0 "$APP" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q "twamp-dp: running:" "$LOG/app.err"; then ok "$2"; else
    notok "$2"; sed 's/^/# /' "$LOG/app.err" | tail -20; fi
}
dut_mac() {
  check "ping $DUT_V4 through the TAP" peer ping -c 2 -i 0.2 -W 2 "$DUT_V4"
  check "ping $DUT_V6 through the TAP" peer ping -6 -c 2 -i 0.2 -W 2 "$DUT_V6"
  MAC=$(ip -n "$PEER_NS" neigh show "$DUT_V4" |
        awk '{for (i=1;i<NF;i++) if ($i=="lladdr") print $(i+1)}')
  check "the appliance's MAC is known ($MAC)" test -n "$MAC"
}
dp_yaml() {
  cat >"$1" <<EOF
eal: [--no-huge, -m, "512", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - name: dut
    device: net_af_packet0,iface=$DUT_NS
    ipv4: [$DUT_V4/24]
    ipv6: ["$DUT_V6/64"]
workers:
  lcores: [1]
reflector:
  control:
    enabled: false
    keys: keys.yaml
  light:
    - {port: $P_LIGHT, protocol: twamp-light, mode: open}
    - {port: $P_STAMP, protocol: stamp, mode: open}
EOF
}
