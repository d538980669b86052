#!/usr/bin/env bash
# End to end, TWAMP-Control inside IPsec (DESIGN.md §5, docs/strongswan.md
# "TWAMP-Control inside a Child SA"): the test bed of test_e2e_ipsec.sh
# (e2e_lib.sh) with a second Child SA "ctl" between the same charons,
# 198.18.0.1/32[tcp/861-862] === 198.18.0.2/32[tcp]. The dut charon's
# twamp-keys plugin exports only "twamp*", so twamp-dp's workers terminate
# the measurement Child SA "twamp" and leave "ctl" to the host: its
# ESP-in-UDP carries an SPI the workers do not own, goes to the TAP, the
# kernel hands UDP 4500 to charon, kernel-libipsec decrypts into its TUN
# (ipsec0) and the inner TCP reaches twamp-dp's control server on the TAP
# address; the replies go back through ipsec0 (a policy rule for TCP from
# port 861-862) and charon's socket. twamp-ping in the peer namespace runs
# an open and an RFC 7717 authenticated session (control in "ctl", test in
# "twamp"). Checks: every packet back; on the peer's wire only IKE and
# ESP-in-UDP (no clear TCP, no clear test packet); on twamp-dp's TAP the
# ESP of "ctl" and never that of "twamp"; the counter esp_host counts it;
# the workers' SA table and counters hold only "twamp"; then a rekey of
# "ctl" during a session: the control connection survives and its end
# runs in the new Child SA.
# Prints TAP; needs root; about 40 s.
#
#   tests/integration/test_e2e_ipsec_ctl.sh BUILD_DIR
BUILD=${1:-${BUILD:-build}}
E2E_TB=e2ectl
. "$(dirname "$0")/e2e_lib.sh"

e2e_dp_yaml "open, auth, enc, ikev2"
e2e_swan ctl
e2e_start

# the ctl Child SA's inner packets arrive on the dut's libipsec TUN; the
# control server's replies (TCP from 861-862 to the peer) go back into it,
# everything else of the dut (IKE, the TAP's own traffic) keeps the main
# table; the peer sends TCP to 861-862 into its TUN
check "dut: libipsec's TUN ipsec0 exists" wait_for 10 ip -n "$DUT_NS" link show ipsec0
ip netns exec "$DUT_NS" sysctl -qw net.ipv4.conf.ipsec0.rp_filter=0
ip -n "$DUT_NS" link set ipsec0 up
check "dut: policy route for TCP from $DUT_V4:861-862 to $PEER_V4 via ipsec0" \
  sh -c "ip -n $DUT_NS route add $PEER_V4/32 dev ipsec0 src $DUT_V4 table 100 &&
         ip -n $DUT_NS rule add from $DUT_V4 to $PEER_V4 ipproto tcp sport 861-862 lookup 100 pref 100"
check "peer: policy route for TCP to $DUT_V4:861-862 via ipsec0" \
  ip -n "$PEER_NS" rule add to $DUT_V4 ipproto tcp dport 861-862 lookup 100 pref 101

e2e_initiate twamp
e2e_initiate ctl

# child NAME FIELD...: fields of the dut's newest installed Child SA NAME
child() { child_sa dut "$@"; }
check "twamp-dp's SA table = the dut's Child SA twamp only (from the plugin)" wait_for 10 sa_table
sa_table >"$LOG/sa1.txt" 2>&1
SPIS1=$(tail -1 "$LOG/sa1.txt")
IN1=$(echo "$SPIS1" | tr ' ' '\n' | grep '^in:') OUT1=$(echo "$SPIS1" | tr ' ' '\n' | grep '^out:')
read -r CTL_IN CTL_OUT < <(child ctl spi-in spi-out)
check "the dut's Child SA ctl ($CTL_IN/$CTL_OUT) is not in twamp-dp's SA table" \
  sh -c "[ -n '$CTL_IN' ] && ! grep -q -e '$CTL_IN' -e '$CTL_OUT' '$LOG/tel.json'"
check "twamp-dp offers ikev2 once the plugin pushed the IKE SA" \
  grep -q "mode ikev2 (RFC 7717" "$LOG/app.err"
EXC0=$(tel_get /twamp/dp/stats exc_in) HOST0=$(tel_get /twamp/dp/stats esp_host)

# ---- an open and an RFC 7717 session, captured on the peer's wire and on
# twamp-dp's TAP
cap_start $PEER_IF $PEER_NS "$LOG/wire.pcap"
cap_start $TAP $DUT_NS "$LOG/tap.pcap"
ping_ok open open 50 "twamp-ping -m open, control in Child SA ctl"
ping_ok auth auth 50 "twamp-ping -m auth --ike-socket (RFC 7717), control in Child SA ctl"
# OWAMP: the server picks the receiver port, the first from 20000 (in the
# Child SA twamp's selectors); one way, no replies
NO_TP=1 ping_ok owamp open 30 "twamp-ping --owamp -m open, OWAMP-Control (TCP 861) in Child SA ctl" --owamp
cap_stop
EXC1=$(tel_get /twamp/dp/stats exc_in) HOST1=$(tel_get /twamp/dp/stats esp_host)
wire_csv "$LOG/wire.pcap" "$LOG/wire.csv"
wire_csv "$LOG/tap.pcap" "$LOG/tap.csv"
# only_ike_esp CSV: every IPv4 packet is UDP 500/4500 (IKE, ESP-in-UDP)
only_ike_esp() {
  awk -F, '$1 != "" && !($2 ~ /:udp:/ && ($3 == 500 || $3 == 4500) &&
    ($4 == 500 || $4 == 4500)) { print "not IKE/ESP:", $0; bad = 1 } END { exit bad }' "$1"
}
check "wire: no TCP at all (TWAMP-Control only inside ESP)" sh -c "! grep -q tcp '$LOG/wire.csv'"
check "wire: only IKE and ESP-in-UDP to and from the appliance" only_ike_esp "$LOG/wire.csv"
check "wire: no clear TWAMP-Test packet (UDP $T_PORT/$S_PORT)" no_clear_test "$LOG/wire.csv"
check "wire: 130 test packets in Child SA twamp to the appliance ($(spi_n "$LOG/wire.csv" $PEER_V4 "${IN1#in:0x}"))" \
  test "$(spi_n "$LOG/wire.csv" $PEER_V4 "${IN1#in:0x}")" -eq 130
check "wire: 100 replies in Child SA twamp from the worker ($(spi_n "$LOG/wire.csv" $DUT_V4 "${OUT1#out:0x}"))" \
  test "$(spi_n "$LOG/wire.csv" $DUT_V4 "${OUT1#out:0x}")" -eq 100
check "wire: TWAMP-Control in Child SA ctl, both ways ($(spi_n "$LOG/wire.csv" $PEER_V4 "$CTL_IN") in, $(spi_n "$LOG/wire.csv" $DUT_V4 "$CTL_OUT") out)" \
  test "$(spi_n "$LOG/wire.csv" $PEER_V4 "$CTL_IN")" -gt 0 -a "$(spi_n "$LOG/wire.csv" $DUT_V4 "$CTL_OUT")" -gt 0
CTL_TAP=$(spi_n "$LOG/tap.csv" $PEER_V4 "$CTL_IN")
check "TAP: every ESP packet of ctl reached the host ($CTL_TAP of $(spi_n "$LOG/wire.csv" $PEER_V4 "$CTL_IN"))" \
  test "$CTL_TAP" -eq "$(spi_n "$LOG/wire.csv" $PEER_V4 "$CTL_IN")"
check "TAP: no ESP of Child SA twamp (the worker keeps it)" \
  test "$(spi_n "$LOG/tap.csv" $PEER_V4 "${IN1#in:0x}")" -eq 0
check "TAP: no TWAMP-Test packet in clear either" no_clear_test "$LOG/tap.csv"
check "esp_host: the worker handed exactly the ctl ESP to the host ($((HOST1 - HOST0)) = $CTL_TAP)" \
  test $((HOST1 - HOST0)) -eq "$CTL_TAP"
check "exc_in (everything written to the TAP) covers it ($((EXC1 - EXC0)) >= $CTL_TAP)" \
  test $((EXC1 - EXC0)) -ge "$CTL_TAP"
check "dut charon's libipsec decrypted ctl (packets-in $(child ctl packets-in))" \
  test "$(child ctl packets-in)" -ge "$CTL_TAP"
check "worker SA $IN1 counted the 130 test packets (got $(sa_pk "$IN1"))" \
  test "$(sa_pk "$IN1")" -eq 130
check "worker SA $OUT1 counted the 100 replies (got $(sa_pk "$OUT1"))" \
  test "$(sa_pk "$OUT1")" -eq 100
check "the workers' inbound total is SA twamp's alone ($(tel_get /twamp/ipsec/stats in_packets))" \
  test "$(tel_get /twamp/ipsec/stats in_packets)" -eq 130
check "control server: 3 connections accepted, all closed by the client" \
  sh -c "[ $(tel_get /twamp/ctrl/stats accepted) -eq 3 ] &&
         [ $(tel_get /twamp/ctrl/stats close_peer_closed) -eq 3 ]"

# ---- rekey Child SA ctl while a session runs over its connection
# -L 5: on a shared host the peer's libipsec (a user-space thread that also
# carries the test packets) can be descheduled for a second; a late reply is
# not a lost one, and the rekey concerns the control connection
ping_run rekey auth 500 -L 5 --per-packet "$LOG/rekey.pp" &
RUN=$!
check "third session (auth, 500 packets) running" wait_for 20 wait_running
sleep 0.5
check "swanctl --rekey --child ctl during the run" sw peer --rekey --child ctl
# the rekey (CREATE_CHILD_SA, then DELETE of the old ctl) is done when
# swanctl returns; the 5 s session is still in the server
check "the session is still set up in the server after the rekey" wait_running
run_ok rekey auth 500 "the run across the ctl rekey"
read -r CTL_IN2 CTL_OUT2 < <(child ctl spi-in spi-out)
check "ctl rekeyed: new SPIs ($CTL_IN2/$CTL_OUT2, were $CTL_IN/$CTL_OUT)" \
  sh -c "[ -n '$CTL_IN2' ] && [ '$CTL_IN2' != '$CTL_IN' ] && [ '$CTL_OUT2' != '$CTL_OUT' ]"
old_ctl_gone() { sw dut --list-sas --raw | grep -q "name=ctl" && ! sw dut --list-sas --raw | grep -q "$CTL_IN"; }
check "the old ctl SAs are deleted (delete_rekeyed_delay 1 s)" wait_for 10 old_ctl_gone
check "the session's end (Stop-Sessions, FIN) ran in the new ctl ($(child ctl packets-in) packets in)" \
  test "$(child ctl packets-in)" -gt 0
check "control server: the same connection all along (4 accepted, 4 closed by the client)" \
  sh -c "[ $(tel_get /twamp/ctrl/stats accepted) -eq 4 ] &&
         [ $(tel_get /twamp/ctrl/stats close_peer_closed) -eq 4 ]"
check "twamp-dp's SA table still holds Child SA twamp only" sa_table
check "no key in twamp-dp's log" sh -c "! grep -qi 'sk-d=\|key=[0-9a-f]' '$LOG/app.err'"

e2e_finish
