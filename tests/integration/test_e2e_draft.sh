#!/usr/bin/env bash
# The seed draft's profile end to end with real IKE SAs (docs/strongswan.md
# "The seed draft's profile end to end"): the test bed of test_e2e_ipsec.sh
# (e2e_lib.sh) with draft_keys on in both charons' twamp-keys plugins. The
# dut charon pushes the IKE SA (skeyseed=) and the measurement Child SA
# "twamp" (keymat=) to twamp-dp's key-import socket, whose workers terminate
# that Child SA; the peer charon pushes the same SAs, as it sees them, to
# twamp-ping's --ike-socket. twamp-dp runs with ipsec.ikev2.profile: draft,
# restarted for each variant (the plugin resyncs, then rekeys the Child SA,
# new to twamp-dp, so the workers never reuse a sequence number the peer has
# seen: rekey_resynced; without it every reply is dropped as a replay):
# base with SKEYSEED, base
# with KEYMAT and the per-SID key, Alternative 1, Alternative 2 (on a new
# AES-CBC-128 + HMAC-SHA2-256 Child SA: it refuses AEAD). In each, an
# authenticated and an encrypted TWAMP session: every packet back; tshark
# on the peer's wire: each Server Greeting binds the Child SA as both
# charons list it (swanctl --list-sas), the test packets are ESP-in-UDP
# with its SPIs (none in clear), and the worker's per-SA counters count
# them. Rekeys: a session across an IKE rekey and one across a Child SA
# rekey lose nothing; a new session after each uses the new SKEYSEED / is
# bound to the new SPIs. Negative: twamp-ping fed the pre-rekey binding
# closes on the greeting, no session on the appliance.
# Prints TAP; needs root; about 90 s.
#
#   tests/integration/test_e2e_draft.sh BUILD_DIR
BUILD=${1:-${BUILD:-build}}
E2E_TB=edraft
. "$(dirname "$0")/e2e_lib.sh"
CTL="$BUILD/app/twamp-ctl/twamp-ctl"
[ -x "$CTL" ] && command -v tshark >/dev/null || skip "needs $CTL and tshark"

E2E_DRAFT=yes
D=(--ike-profile draft)
MODES="auth, enc, ikev2"

# bound PCAP: every Server Greeting in PCAP (seed draft §4.1: Unused =
# Protocol 50 (ESP), MBZ, the server's inbound and outbound SPI) binds the
# Child SA twamp as both charons list it: the dut's spi-in/spi-out, the
# peer's the other way round
bound() {
  local din dout pin pout
  read -r din dout < <(child_sa dut twamp spi-in spi-out)
  read -r pin pout < <(child_sa peer twamp spi-in spi-out)
  tshark -r "$1" -Y twamp.control.modes -T fields -e twamp.control.unused >"$1.greet" 2>"$1.greet.err"
  echo "greetings: $(tr '\n' ' ' <"$1.greet"); dut in/out $din/$dout; peer in/out $pin/$pout"
  [ -n "$din" ] && [ "$pin" = "$dout" ] && [ "$pout" = "$din" ] && [ -s "$1.greet" ] &&
    ! grep -v -x "32000000$din$dout" "$1.greet"
}

# sessions LABEL ARGS...: an authenticated and an encrypted TWAMP session
# of 20 packets (twamp-ping "${D[@]}" ARGS), captured on the peer's wire:
# every packet back, the greetings bind the Child SA twamp, its ESP-in-UDP
# carries the test packets both ways (none in clear), the worker counts them
sessions() {
  local l=$1 in out i0 o0
  shift
  read -r in out < <(child_sa dut twamp spi-in spi-out)
  i0=$(sa_pk "in:0x$in") o0=$(sa_pk "out:0x$out")
  cap_start $PEER_IF $PEER_NS "$LOG/$l.pcap"
  ping_ok "$l-auth" auth 20 "$l: -m auth" "${D[@]}" "$@"
  ping_ok "$l-enc" enc 20 "$l: -m enc" "${D[@]}" "$@"
  cap_stop
  check "$l: tshark: both greetings bind the Child SA twamp of swanctl --list-sas (dut in/out $in/$out)" \
    bound "$LOG/$l.pcap"
  wire_csv "$LOG/$l.pcap" "$LOG/$l.csv"
  check "$l: tshark: 40 test packets in ESP SPI $in, 40 replies in ESP SPI $out, none in clear" \
    sh -c "[ $(spi_n "$LOG/$l.csv" $PEER_V4 "$in") -eq 40 ] &&
           [ $(spi_n "$LOG/$l.csv" $DUT_V4 "$out") -eq 40 ] && ! grep -q -e ',$T_PORT,' -e ',$S_PORT,' '$LOG/$l.csv'"
  check "$l: the worker's SAs counted them (in +$(($(sa_pk "in:0x$in") - i0)), out +$(($(sa_pk "out:0x$out") - o0)))" \
    test $(($(sa_pk "in:0x$in") - i0)) -eq 40 -a $(($(sa_pk "out:0x$out") - o0)) -eq 40
}

# variant NAME IKEV2-MAP LOG-TEXT: twamp-dp restarted with that profile; the
# dut's plugin resyncs the IKE SA and the Child SA into it. The restarted
# workers would number the outbound SA's packets from 1 again, which the
# peer has seen (RFC 4303 §3.3.3, §3.4.3: it drops them as replays): the
# plugin rekeys a Child SA new to the server after a resync (its
# rekey_resynced), so twamp-dp ends up with fresh SAs
variant() {
  local old n0
  sa_table >"$LOG/$1.sa" 2>&1
  old=$(tail -1 "$LOG/$1.sa")
  n0=$(grep -c "is new to the server after a resync" "$LOG/dut/charon.log")
  e2e_dp_yaml "$MODES" "$2"
  dp_start "$1"
  check "$1: twamp-dp offers ikev2 ($3)" grep -q "mode ikev2 ($3)" "$LOG/app.err"
  check "$1: the dut's plugin resynced, then rekeyed the Child SA new to twamp-dp: its SA table = charon's new Child SA twamp, not $old" \
    wait_for 15 sa_table "$old"
  check "$1: the dut's charon logged the rekey once" \
    test "$(grep -c "is new to the server after a resync" "$LOG/dut/charon.log")" -eq $((n0 + 1))
}

# ---- base variant, SKEYSEED
e2e_dp_yaml "$MODES" "profile: draft, variant: base, secret: skeyseed"
e2e_swan
e2e_start
e2e_initiate twamp
check "twamp-dp offers ikev2 (seed draft profile, base, skeyseed)" \
  grep -q "mode ikev2 (seed draft profile, variant base, secret skeyseed)" "$LOG/app.err"
check "twamp-dp's SA table = the dut's Child SA twamp (from the plugin)" wait_for 10 sa_table
sa_table >"$LOG/sa1.txt" 2>&1
SPIS1=$(tail -1 "$LOG/sa1.txt")
ike_table >"$LOG/ike1.txt" 2>&1
IKE1=$(tail -1 "$LOG/ike1.txt")
read -r IN1 OUT1 < <(child_sa dut twamp spi-in spi-out)
sessions base-skeyseed

# ---- rekeys: a session across each, a new session after each
# across OUT MODE WHAT SWANCTL-ARGS...: a 300-packet session, and swanctl
# on the peer while it runs
across() {
  local out=$1 mode=$2 what=$3
  shift 3
  ping_run "$out" "$mode" 300 "${D[@]}" -L 5 &   # late is not lost (test_e2e_ipsec.sh)
  RUN=$!
  check "a session ($mode, 300 packets) running" wait_for 20 wait_running
  sleep 0.5
  check "swanctl $* during it ($what)" sw peer "$@"
  run_ok "$out" "$mode" 300 "the session across swanctl $*"
}
across across-ike enc "a new SKEYSEED" --rekey --ike meas
check "the IKE rekey reached twamp-dp: its only IKE SA is charon's new one" \
  wait_for 10 ike_table "$IKE1"
# base, SKEYSEED: a wrong (old) SKEYSEED on either side would be Accept 1
sessions after-ike-rekey
across across-child auth "new SPIs" --rekey --child twamp
check "twamp-dp's SA table follows: the new Child SA only, old SPIs gone" \
  wait_for 10 sa_table "$SPIS1"
read -r IN2 OUT2 < <(child_sa dut twamp spi-in spi-out)
check "the Child SA rekey gave new SPIs ($IN2/$OUT2, were $IN1/$OUT1)" \
  sh -c "[ -n '$IN2' ] && [ '$IN2' != '$IN1' ] && [ '$OUT2' != '$OUT1' ]"
sessions after-child-rekey

# ---- negative: twamp-ping holding the pre-rekey binding (another IKE SA
# whose Child SA has the old SPIs, pushed to its socket by twamp-ctl) closes
# on the greeting, which binds the new Child SA
Z32=$(printf '5a%.0s' $(seq 1 32)) K16=$(printf '11%.0s' $(seq 1 16))
FI=0123456789abcdef FR=fedcba9876543210
fake_child() { # SPI DIR PEER-SPI SRC DST
  echo "child-add spi=$1 dir=$2 peer-spi=$3 proto=esp mode=transport src=$4 dst=$5 encap=none encr=12 encr-keylen=128 encr-key=$K16 integ=12 integ-key=$Z32 ts-local=$PEER_V4/32 ts-remote=$DUT_V4/32 ike-spi-i=$FI ike-spi-r=$FR keymat=$Z32"
}
before=$(tel_get /twamp/ctrl/stats sessions_accepted)
peer "$PING" -m auth -c 2 "${D[@]}" --ike-socket "$LOG/fake.sock" --ike-wait 15 $DUT_V4 \
  >"$LOG/fake.txt" 2>"$LOG/fake.err" &
RUN=$!
check "a second twamp-ping serves its own key-import socket" wait_for 10 test -S "$LOG/fake.sock"
fake_push() {
  printf '%s\n' "ike-up spi-i=$FI spi-r=$FR prf=5 sk-d=$Z32 skeyseed=$Z32 local=$PEER_V4 remote=$DUT_V4 local-id=$PEER_V4 remote-id=$DUT_V4 role=initiator" \
    "$(fake_child "$IN1" out "$OUT1" $PEER_V4 $DUT_V4)" "$(fake_child "$OUT1" in "$IN1" $DUT_V4 $PEER_V4)" |
    "$CTL" -k "$LOG/fake.sock" key add -
}
check "twamp-ctl pushes the old binding ($IN1/$OUT1) to it" fake_push
wait "$RUN"; rc=$?
RUN=0
check "old binding: exit 1 (got $rc), the greeting's SPIs ($IN2/$OUT2) and ours named, closed (MUST close)" \
  sh -c "[ $rc -eq 1 ] && grep -q 'Server Greeting binds ESP SPIs 0x$IN2 (to server) / 0x$OUT2 (from server), our SA is ESP 0x$IN1 / 0x$OUT1' '$LOG/fake.err' &&
         grep -q 'MUST close' '$LOG/fake.err'"
sed 's/^/# /' "$LOG/fake.err" | head -2
no_session() {
  grep 'closed:' "$LOG/app.err" | tail -1 | grep -q 'closed: peer_closed' &&
    [ "$before" = "$(tel_get /twamp/ctrl/stats sessions_accepted)" ]
}
check "old binding: twamp-dp saw the client close before a Set-Up-Response, no session" no_session

# ---- base variant, KEYMAT (of the rekeyed Child SA), per-SID test keys
variant base-keymat "profile: draft, variant: base, secret: keymat, sid_key: true" \
  "seed draft profile, variant base, secret keymat, per-SID key"
sessions base-keymat-sid --ike-secret keymat --ike-sid-key

# ---- Alternative 1, SKEYSEED (of the rekeyed IKE SA)
variant alt1 "profile: draft, variant: alt1, secret: skeyseed" \
  "seed draft profile, variant alt1, secret skeyseed"
sessions alt1-skeyseed --ike-variant alt1

# ---- Alternative 2: the Child SA's own AES-128 and HMAC keys
variant alt2 "profile: draft, variant: alt2" "seed draft profile, variant alt2"
ping_run alt2-gcm auth 2 "${D[@]}" --ike-variant alt2; rc=$?
check "alt2 on the AES-GCM Child SA: twamp-ping refuses it, exit 1 (got $rc)" \
  sh -c "[ $rc -eq 1 ] && grep -q 'cannot key the draft.s Alternative 2' '$LOG/alt2-gcm.err'"
E2E_ESP=aes128-sha256 e2e_swan
check "both charons load Child SA twamp with AES-CBC-128 + HMAC-SHA2-256-128" \
  sh -c "swanctl --load-conns --file $LOG/dut/swanctl.conf -u unix://$LOG/dut/vici.sock &&
         swanctl --load-conns --file $LOG/peer/swanctl.conf -u unix://$LOG/peer/vici.sock"
check "the peer closes the AES-GCM Child SA twamp" sw peer --terminate --child twamp --timeout 10
e2e_initiate twamp
check "twamp-dp's SA table = the new Child SA twamp, the GCM one gone" \
  wait_for 10 sa_table "in:0x$IN2 out:0x$OUT2"
cbc() { [ "$(child_sa "$1" twamp encr-alg encr-keysize integ-alg)" = "AES_CBC 128 HMAC_SHA2_256_128" ]; }
check "both charons' Child SA twamp is AES_CBC 128 with HMAC_SHA2_256_128 ($(child_sa dut twamp encr-alg encr-keysize integ-alg))" \
  eval "cbc dut && cbc peer"
sessions alt2 --ike-variant alt2

check "no key in twamp-dp's log" sh -c "! grep -qi 'sk-d=\|key=[0-9a-f]\|skeyseed=\|keymat=' '$LOG/app.err'"

e2e_finish
