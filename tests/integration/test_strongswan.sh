#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The twamp-keys charon plugin end to end (docs/strongswan.md,
# docs/key-import.md): two charon instances in their own namespaces (swn-a
# initiator, swn-b responder; PSK, IKEv2, kernel-libipsec ESP-in-UDP tunnel
# mode), each with the plugin, each pushing to its own strict key-import
# listener (keyimport_listener.py). Checks ike-up on both sides with equal
# RFC 7717 keys, Child SA records matching swanctl --list-sas (and each
# side's outbound key equal to the other's inbound key), IKE and Child SA
# rekeying, a refused record that the plugin logs and survives, a resync
# after the listener restarts, teardown, a resync that cleans up after a
# charon crash, an IPv6 IKE SA with PRF HMAC-SHA2-384, and that no key
# reaches a log.
# draft_keys (the seed draft's SKEYSEED and KEYMAT, docs/strongswan.md) is on
# for both charons until b restarts without it: both sides' skeyseed and
# keymat agree, change on IKE / Child SA rekey (the Child SA rekey with PFS),
# come again in a resync, are absent from the side without the option, and
# equal what this test recomputes from charon's own level-4 key dumps (a
# separate secrets-debug.log per side, never the checked charon.log).
#
# The plugin is built from this checkout into the test's directory and
# bind-mounted over the installed one in each charon's private mount
# namespace: concurrent checkouts never see each other's plugin.
#
#   tests/integration/test_strongswan.sh [builddir]   (TAP; needs root)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
NA=${TW_SWAN_NS:-swn}-a
NB=${TW_SWAN_NS:-swn}-b
A_IP=198.18.50.1
B_IP=198.18.50.2

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces)"

# ---- the plugin (fast when already built, see scripts/build-strongswan-plugin.sh)
work=$(mktemp -d /tmp/tw-swan.XXXXXX)
chmod 700 "$work"
plugin_dst=/usr/lib/ipsec/plugins/libstrongswan-twamp-keys.so
plugin=$work/plugin/libstrongswan-twamp-keys.so
# installs only when no twamp-keys plugin is installed yet (the bind mount
# below needs a file to cover)
inst=--no-install
[ -f "$plugin_dst" ] || inst=
TW_SWAN_OUT=$work/plugin "$repo/scripts/build-strongswan-plugin.sh" $inst \
	>"$work/build.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	reason=$(grep -m1 'error' "$work/build.log" || tail -1 "$work/build.log")
	if [ $rc = 2 ]; then
		rm -rf "$work"
		skip_all "twamp-keys plugin could not be built: $reason"
	fi
	echo "1..1"
	echo "not ok 1 - the twamp-keys plugin builds: $reason"
	sed 's/^/# /' "$work/build.log" | tail -20
	rm -rf "$work"
	exit 1
fi
for b in /usr/sbin/charon-systemd /usr/sbin/swanctl; do
	[ -x "$b" ] || { rm -rf "$work"; skip_all "$b missing (strongSwan packages)"; }
done

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del $NA 2>/dev/null
	ip netns del $NB 2>/dev/null
	[ -n "${TW_SWAN_KEEP:-}" ] && echo "# kept $work" || rm -rf "$work"
}
trap cleanup EXIT

echo "1..35"

# ---- namespaces
ip netns del $NA 2>/dev/null
ip netns del $NB 2>/dev/null
ip netns add $NA && ip netns add $NB &&
ip link add swn-a0 netns $NA type veth peer name swn-b0 netns $NB &&
ip -n $NA addr add $A_IP/24 dev swn-a0 && ip -n $NA link set swn-a0 up &&
ip -n $NB addr add $B_IP/24 dev swn-b0 && ip -n $NB link set swn-b0 up &&
ip -n $NA addr add 2001:db8:50::1/64 dev swn-a0 nodad &&
ip -n $NB addr add 2001:db8:50::2/64 dev swn-b0 nodad &&
ip -n $NA addr add fd00:50:1::1/128 dev lo nodad &&
ip -n $NB addr add fd00:51:1::1/128 dev lo nodad &&
ip -n $NA link set lo up && ip -n $NB link set lo up &&
# libipsec routes a policy only when this host has an address in its local
# traffic selector: the measurement endpoints inside the tunnel
for i in 1 2 3; do
	ip -n $NA addr add 10.50.$i.1/32 dev lo &&
	ip -n $NB addr add 10.51.$i.1/32 dev lo || break
done
check "namespaces $NA/$NB with a veth" [ $? = 0 ]

# ---- per-side configuration
# side name, namespace, my ip, peer ip, my id, peer id, my nets, peer nets
setup_side() {
	local s=$1 ip=$2 peer=$3 id=$4 pid=$5 mynet=$6 peernet=$7 send=$8
	local ip6=$9 peer6=${10} mynet6=${11} peernet6=${12} draft=${13}
	local auth="		local {
			auth = psk
			id = $id
		}
		remote {
			auth = psk
			id = $pid
		}"
	local d=$work/$s
	mkdir -p "$d"
	cat >"$d/strongswan.conf" <<EOF
charon-systemd {
	journal {
		default = -1
	}
}
charon {
	load_modular = no
	load = random nonce openssl kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici twamp-keys
	install_routes = no
	delete_rekeyed_delay = 1
	filelog {
		charon {
			path = $d/charon.log
			flush_line = yes
			default = 1
			cfg = 2
		}
		# charon's own SKEYSEED / SK_d / Child SA seed dumps, for the
		# independent recomputation only (holds every key)
		secrets {
			path = $d/secrets-debug.log
			flush_line = yes
			default = -1
			ike = 4
			chd = 4
			ike_name = yes
		}
	}
	plugins {
		vici {
			socket = unix://$d/vici.sock
		}
		twamp-keys {
			socket = $d/keys.sock
			send = $send
			children = twamp*
			reply_timeout = 3s
			reconnect_max = 1s
			draft_keys = $draft
			# the resync checks compare exact records: no rekey after it
			# (rekey_resynced is covered by test_e2e_draft.sh)
			rekey_resynced = no
		}
	}
}
EOF
	cat >"$d/swanctl.conf" <<EOF
connections {
	meas {
		version = 2
		local_addrs = $ip
		remote_addrs = $peer
		encap = yes
		proposals = aes128-sha256-modp2048
		rekey_time = 0
$auth
		children {
			twamp {
				local_ts = ${mynet}1.0/24
				remote_ts = ${peernet}1.0/24[udp/862-863]
				esp_proposals = aes128gcm16-modp2048
				rekey_time = 0
			}
			twamp-cbc {
				local_ts = ${mynet}2.0/24
				remote_ts = ${peernet}2.0/24
				esp_proposals = aes256-sha256
				rekey_time = 0
			}
			mgmt {
				local_ts = ${mynet}3.0/24
				remote_ts = ${peernet}3.0/24
				esp_proposals = aes128-sha1
				rekey_time = 0
			}
		}
	}
	meas6 {
		version = 2
		local_addrs = $ip6
		remote_addrs = $peer6
		encap = yes
		proposals = aes256-sha384-ecp256
$auth
		children {
			twamp6 {
				local_ts = $mynet6
				remote_ts = $peernet6
				esp_proposals = aes256gcm16
				rekey_time = 0
			}
		}
	}
}
secrets {
	ike-meas {
		id-a = dut.swn.test
		id-b = C=CH, O=Lab, CN=peer.swn.test
		secret = "swn test psk 4e1f0c"
	}
}
EOF
}
# a sends the RFC 7717 key, b sends SK_d (the listener derives the key)
setup_side a $A_IP $B_IP dut.swn.test "C=CH, O=Lab, CN=peer.swn.test" 10.50. 10.51. key \
	2001:db8:50::1 2001:db8:50::2 fd00:50:1::/64 fd00:51:1::/64 yes
setup_side b $B_IP $A_IP "C=CH, O=Lab, CN=peer.swn.test" dut.swn.test 10.51. 10.50. sk-d \
	2001:db8:50::2 2001:db8:50::1 fd00:51:1::/64 fd00:50:1::/64 yes

start_listener() { # side records-file [extra args]
	local s=$1 rec=$2
	shift 2
	$py "$here/keyimport_listener.py" --socket "$work/$s/keys.sock" \
		--records "$rec" "$@" >>"$work/$s/listener.log" 2>&1 &
	pids+=($!)
	eval "lpid_$s=$!"
}
start_listener a "$work/a/records.jsonl" --refuse child-add:5
start_listener b "$work/b/records.jsonl"

# charon in its namespace and a private mount namespace where this
# checkout's plugin covers the installed one (exec all the way: $! is charon)
start_charon() {
	local s=$1 ns=$2
	STRONGSWAN_CONF=$work/$s/strongswan.conf ip netns exec "$ns" \
		unshare -m --propagation private sh -c \
		'mount --bind "$0" "$1" && exec /usr/sbin/charon-systemd' \
		"$plugin" "$plugin_dst" >>"$work/$s/charon.out" 2>&1 &
	pids+=($!)
	eval "cpid_$s=$!"
}
start_charon a $NA
start_charon b $NB

sw() { # side, swanctl args...
	local s=$1
	shift
	swanctl "$@" -u "unix://$work/$s/vici.sock"
}
wait_for() { # seconds, command... : poll until true
	local t=$1 i
	shift
	for ((i = 0; i < t * 5; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}
both_up() { sw a --stats >/dev/null 2>&1 && sw b --stats >/dev/null 2>&1; }
check "two charon-systemd instances answer on their vici sockets" wait_for 20 both_up
check "the twamp-keys plugin is loaded on both" \
	bash -c "swanctl --stats -u unix://$work/a/vici.sock | grep -q twamp-keys &&
		 swanctl --stats -u unix://$work/b/vici.sock | grep -q twamp-keys"

for s in a b; do
	sw $s --load-all --file "$work/$s/swanctl.conf" >"$work/$s/load.log" 2>&1
done
check "both sides loaded their connection and PSK" \
	bash -c "grep -q \"loaded connection 'meas'\" $work/a/load.log &&
		 grep -q \"loaded connection 'meas'\" $work/b/load.log"

# ---- records: a small query tool over the JSON-lines files
q() { $py "$here/strongswan_records.py" "$@"; }

for c in twamp twamp-cbc mgmt; do
	sw a --initiate --child $c --timeout 15 >>"$work/a/initiate.log" 2>&1
done
check "IKE SA and three Child SAs established (libipsec, ESP-in-UDP)" \
	bash -c "[ \$(swanctl --list-sas -u unix://$work/a/vici.sock | grep -c INSTALLED) -ge 3 ]"

sas_a=$work/a/sas1.txt
sas_b=$work/b/sas1.txt
settle() { # until both listeners saw n records of verb
	wait_for 15 q count "$work/a/records.jsonl" "$1" "$2" &&
	wait_for 15 q count "$work/b/records.jsonl" "$1" "$2"
}
settle child-add 4
sw a --list-sas --raw >"$sas_a"
sw b --list-sas --raw >"$sas_b"

check "ike-up on both sides: same SPIs, roles initiator/responder, accepted" \
	q ike-up "$work/a/records.jsonl" "$work/b/records.jsonl" "$sas_a"
check "RFC 7717 key of the initiator's plugin = prf(responder's SK_d, \"IPPM\") derived by the listener" \
	q key-equal "$work/a/records.jsonl" "$work/b/records.jsonl" ike-up
check "identities travel escaped and decode back (C=CH, O=Lab, CN=...)" \
	q ids "$work/a/records.jsonl"
check "child-add out+in for twamp and twamp-cbc on both sides, none for mgmt" \
	q children "$work/a/records.jsonl" "$work/b/records.jsonl"
check "Child SA SPIs equal those of swanctl --list-sas" \
	q spis "$work/a/records.jsonl" "$sas_a" && q spis "$work/b/records.jsonl" "$sas_b"
check "each side's outbound SA equals the other's inbound SA (SPI, keys, algorithms)" \
	q cross "$work/a/records.jsonl" "$work/b/records.jsonl"
check "GCM record: encr 20, 128-bit key + salt, no integ; CBC record: encr 12 + integ 12" \
	q algs "$work/a/records.jsonl"
check "ESP-in-UDP: encap=udp, ports 4500/4500, tunnel mode, traffic selectors" \
	q encap "$work/a/records.jsonl"

# ---- draft_keys: SKEYSEED and KEYMAT (docs/strongswan.md)
dbg_a=$work/a/secrets-debug.log
dbg_b=$work/b/secrets-debug.log
check "draft_keys: the plugin says it exports skeyseed and keymat, on both sides" \
	bash -c "grep -q 'exporting key, skeyseed and keymat (draft_keys)' $work/a/charon.log &&
		 grep -q 'exporting sk-d, skeyseed and keymat (draft_keys)' $work/b/charon.log"
check "skeyseed on ike-up: 32 octets, equal on both sides, = charon's own SKEYSEED dump" \
	q draft-ike "$work/a/records.jsonl" "$work/b/records.jsonl" ike-up "$dbg_a" "$dbg_b"
check "keymat on both child-add of twamp and twamp-cbc: out = in = the peer's, = prf+(SK_d, Ni | Nr) recomputed from charon's dumps" \
	bash -c "$py $here/strongswan_records.py draft-child $work/a/records.jsonl $work/b/records.jsonl $dbg_a $dbg_b twamp 1 no &&
		 $py $here/strongswan_records.py draft-child $work/a/records.jsonl $work/b/records.jsonl $dbg_a $dbg_b twamp-cbc 1 no"

# ---- IKE SA rekey
sw a --rekey --ike meas >"$work/a/rekey-ike.log" 2>&1
check "ike-rekey on both sides names the old SPIs, new SPIs, accepted" \
	bash -c "$(declare -f wait_for); wait_for 15 $py $here/strongswan_records.py ike-rekey $work/a/records.jsonl $work/b/records.jsonl"
check "rekeyed IKE SA: new RFC 7717 key, agreeing across sides, not the old one" \
	q key-equal "$work/a/records.jsonl" "$work/b/records.jsonl" ike-rekey
check "skeyseed on ike-rekey: new, equal on both sides, = charon's SKEYSEED of the rekey (RFC 7296 2.18)" \
	q draft-ike "$work/a/records.jsonl" "$work/b/records.jsonl" ike-rekey "$dbg_a" "$dbg_b"

# ---- Child SA rekey (the 5th child-add on side a is refused on purpose)
sw a --rekey --child twamp >"$work/a/rekey-child.log" 2>&1
settle child-add 6
check "child rekey: new child-add out+in with new SPIs and new keys on both sides" \
	q child-rekey "$work/a/records.jsonl" "$work/b/records.jsonl"
check "child rekey with PFS: new keymat, equal on both sides, = prf+(SK_d, g^ir | Ni | Nr) recomputed" \
	q draft-child "$work/b/records.jsonl" "$work/a/records.jsonl" "$dbg_b" "$dbg_a" twamp 1 yes
check "old twamp Child SA: child-del in then out on both sides after the rekey" \
	bash -c "$(declare -f wait_for); wait_for 15 $py $here/strongswan_records.py child-del-old $work/a/records.jsonl $work/b/records.jsonl"
sw a --list-sas --raw >"$work/a/sas2.txt"
check "new Child SA SPIs equal those of swanctl --list-sas" \
	q spis-new "$work/a/records.jsonl" "$work/a/sas2.txt"
check "a refused record (err 500) is logged by the plugin, which carries on" \
	bash -c "grep -q 'refused by .*err 500 internal test-injected' $work/a/charon.log &&
		 $py $here/strongswan_records.py after-refusal $work/a/records.jsonl"

# ---- the listener itself refuses malformed lines
check "malformed and invalid lines get err with the documented codes" \
	q malformed "$work/a/keys.sock"

# ---- an impostor: the socket path served by an unprivileged user gets no key
kill "$lpid_b"
wait "$lpid_b" 2>/dev/null
rm -f "$work/b/keys.sock"
mkdir -m 0777 "$work/b/impostor"
chmod 711 "$work"
chmod 1777 "$work/b"
# the checkout may be private (mktemp -d is 0700): run a copy uid 65534 can read
cp "$here/keyimport_listener.py" "$work/b/impostor/listener.py"
chmod 644 "$work/b/impostor/listener.py"
setpriv --reuid=65534 --regid=65534 --clear-groups \
	$py "$work/b/impostor/listener.py" --socket "$work/b/keys.sock" \
	--records "$work/b/impostor/records.jsonl" >"$work/b/impostor/log" 2>&1 &
imp=$!
pids+=($imp)
check "a socket served by uid 65534 is refused (SO_PEERCRED): logged, nothing sent" \
	bash -c "$(declare -f wait_for); wait_for 15 grep -q 'served by uid 65534.*not sending keys' $work/b/charon.log &&
		 [ ! -s $work/b/impostor/records.jsonl ] && ! grep -q hello $work/b/impostor/log"
kill "$imp"
wait "$imp" 2>/dev/null
chmod 700 "$work" "$work/b"

# ---- resync: listener b back; the plugin reconnects and replays its state
start_listener b "$work/b/records2.jsonl"
check "after the listener restarts, the plugin resyncs the current IKE and Child SAs" \
	bash -c "$(declare -f wait_for); wait_for 20 $py $here/strongswan_records.py resync $work/b/records2.jsonl $work/b/records.jsonl"
check "the resync sends the current skeyseed and keymats again" \
	q draft-resync "$work/b/records2.jsonl" "$work/b/records.jsonl"

# ---- teardown
sw a --terminate --ike meas --timeout 15 >"$work/a/terminate.log" 2>&1
check "terminate: child-del for every exported Child SA, then ike-down, on both sides" \
	bash -c "$(declare -f wait_for); wait_for 15 $py $here/strongswan_records.py down $work/a/records.jsonl &&
		 wait_for 15 $py $here/strongswan_records.py down $work/b/records2.jsonl"
check "listener tables are empty after teardown (every delete answered ok deleted/absent)" \
	q empty "$work/a/records.jsonl"
check "the 0600 records file is the only place keys went (not charon or listener logs)" \
	q nokeys "$work/a/records.jsonl" "$work/b/records.jsonl" -- \
	"$work/a/charon.log" "$work/b/charon.log" "$work/a/listener.log" "$work/b/listener.log"
check "records files and sockets are mode 0600" \
	bash -c "[ \$(stat -c %a $work/a/records.jsonl) = 600 ] && [ \$(stat -c %a $work/b/keys.sock) = 600 ]"

# ---- charon b crashes: once restarted, its resync removes what it left
sw a --initiate --child twamp --timeout 15 >>"$work/a/initiate.log" 2>&1
wait_for 15 q count "$work/b/records2.jsonl" child-add 6
kill -9 "$cpid_b"
wait "$cpid_b" 2>/dev/null
# b comes back without draft_keys
sed -i 's/draft_keys = yes/draft_keys = no/' "$work/b/strongswan.conf"
start_charon b $NB
check "charon b killed (-9) and restarted: its resync removes the stale IKE SA and Child SAs" \
	bash -c "$(declare -f wait_for); wait_for 20 $py $here/strongswan_records.py stale $work/b/records2.jsonl"

# ---- IPv6 outer and inner addresses, PRF HMAC-SHA2-384, AES-GCM-256
sw b --load-all --file "$work/b/swanctl.conf" >"$work/b/load2.log" 2>&1
sw a --initiate --child twamp6 --timeout 15 >>"$work/a/initiate.log" 2>&1
check "IPv6: ike-up and child-add over 2001:db8:50::/64, PRF 6, AES-GCM-256, keys agree" \
	bash -c "$(declare -f wait_for); wait_for 15 $py $here/strongswan_records.py ipv6 $work/a/records.jsonl $work/b/records2.jsonl"
check "draft_keys off on b: no skeyseed/keymat from b; a sends them (48 octets, PRF HMAC-SHA2-384)" \
	q draft-off "$work/a/records.jsonl" "$work/b/records2.jsonl"

if [ $fails -ne 0 ]; then
	for s in a b; do
		echo "# --- side $s charon.log (tail)"
		tail -n 25 "$work/$s/charon.log" 2>/dev/null | sed 's/^/# /'
		echo "# --- side $s listener.log (tail)"
		tail -n 25 "$work/$s/listener.log" 2>/dev/null | sed 's/^/# /'
	done
fi
exit 0
