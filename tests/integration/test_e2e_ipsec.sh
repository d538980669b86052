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
BUILD=${1:-${BUILD:-build}}
E2E_TB=e2e
. "$(dirname "$0")/e2e_lib.sh"

e2e_dp_yaml "auth, enc, ikev2"
e2e_swan
e2e_start
e2e_initiate twamp
check "twamp-dp's SA table = the dut's Child SA (in + out SPI, from the plugin)" wait_for 10 sa_table
check "twamp-dp offers ikev2 once the plugin pushed the IKE SA" \
  grep -q "mode ikev2 (RFC 7717" "$LOG/app.err"
sa_table >"$LOG/sa1.txt" 2>&1
SPIS1=$(tail -1 "$LOG/sa1.txt")
ike_table >"$LOG/ike1.txt" 2>&1
IKE1=$(tail -1 "$LOG/ike1.txt")

# ---- a first session, captured on the peer's wire
cap_start $PEER_IF $PEER_NS "$LOG/cap.pcap"
ping_ok run1 auth 50 "twamp-ping -m auth --ike-socket (RFC 7717) through the tunnel"
cap_stop
wire_csv "$LOG/cap.pcap" "$LOG/wire.csv"
check "tshark: 50 ESP-in-UDP (4500) test packets to the appliance ($(esp_n "$LOG/wire.csv" $PEER_V4))" \
  test "$(esp_n "$LOG/wire.csv" $PEER_V4)" -ge 50
check "tshark: 50 ESP-in-UDP (4500) replies from the worker ($(esp_n "$LOG/wire.csv" $DUT_V4))" \
  test "$(esp_n "$LOG/wire.csv" $DUT_V4)" -ge 50
check "tshark: no clear TWAMP-Test packet (UDP $T_PORT/$S_PORT) on the wire" \
  no_clear_test "$LOG/wire.csv"
check "tshark: TWAMP-Control runs outside the tunnel (TCP 862, RFC 7717 keys)" \
  grep -q "tcp" "$LOG/wire.csv"

# the worker's counters for the Child SA
IN1=$(echo "$SPIS1" | tr ' ' '\n' | grep '^in:') OUT1=$(echo "$SPIS1" | tr ' ' '\n' | grep '^out:')
check "worker SA $IN1 counted the 50 test packets (got $(sa_pk "$IN1"))" \
  test "$(sa_pk "$IN1")" -ge 50
check "worker SA $OUT1 counted the 50 replies (got $(sa_pk "$OUT1"))" \
  test "$(sa_pk "$OUT1")" -ge 50

# ---- rekeys during a run: IKE SA, then the Child SA
# -L 5: the peer's user-space libipsec can be descheduled for a second on a
# shared host; a late reply is not a lost one (test_e2e_ipsec_ctl.sh, same)
ping_run run2 enc 500 -L 5 &
RUN=$!
check "second session (enc, 500 packets) running" wait_for 20 wait_running
sleep 0.5
check "swanctl --rekey --ike during the run" sw peer --rekey --ike meas
sleep 1
check "swanctl --rekey --child during the run" sw peer --rekey --child twamp
run_ok run2 enc 500 "the run across both rekeys"
check "twamp-dp's SA table follows the rekey: the new Child SA only, old SPIs gone" \
  wait_for 10 sa_table "$SPIS1"
sa_table >"$LOG/sa2.txt" 2>&1
check "the IKE rekey reached twamp-dp: its only IKE SA is charon's new one" \
  wait_for 10 ike_table "$IKE1"
ping_ok run3 auth 20 "a new session keyed by the rekeyed IKE SA, in the new Child SA"
check "no key in twamp-dp's log" sh -c "! grep -qi 'sk-d=\|key=[0-9a-f]' '$LOG/app.err'"

e2e_finish
