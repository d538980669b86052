#!/bin/bash
# twamp-ping benchmark (docs/performance.md, "twamp-ping"; issue 4
# "Performance"): the highest loss-free rate of twamp-ping against twamp-dp,
# and how precisely it keeps the schedule at each rate.
#
# usage: scripts/bench-ping.sh [--build DIR] [--seconds N] [--rates "R ..."]
#            [--mode open|auth|enc] [--proto light|stamp] [--idle-us N]
#            [--json FILE]
#
# Brings up its own test bed TW_TB=pngb<pid> (scripts/testbed.sh), starts
# twamp-dp in its dut namespace with one light port (UDP 8620, the given protocol and mode;
# one worker on lcore 1; --idle-us N is its nap after an empty poll,
# default 0 = a dedicated polling core), and runs twamp-ping in
# its peer namespace at each rate of --rates (default 1000 2000 5000 10000 20000
# 50000 100000) for --seconds (default 3) with -L 1. A rate is loss-free when
# lost = 0 and every packet left (no send errors). Prints one row per rate:
# sent, lost, RTT p50/p99, departure error (kernel TX timestamp minus the
# schedule) p50/p99, Sender Timestamp to kernel TX p50, and the highest
# loss-free rate; --json FILE writes the rows as a JSON array.
# Ends only the processes it started, by PID, and tears the test bed down.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=build
seconds=3
rates="1000 2000 5000 10000 20000 50000 100000"
mode=open
proto=light
json=""
idle=0

while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--rates) rates=$2; shift ;;
	--mode) mode=$2; shift ;;
	--proto) proto=$2; shift ;;
	--json) json=$2; shift ;;
	--idle-us) idle=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-ping.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case "$build" in /*) ;; *) build="$top/$build" ;; esac
DP="$build/app/twamp-dp/twamp-dp"
PING="$build/app/twamp-ping/twamp-ping"
[ -x "$DP" ] && [ -x "$PING" ] || { echo "bench-ping.sh: build $DP and $PING first" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench-ping.sh: needs root (namespaces)" >&2; exit 2; }

export TW_TB=pngb$(($$ % 10000))
PREFIX=tw-pngb-$$
LIGHT_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
STAMP_KEY=c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf
scratch=$(mktemp -d /tmp/tw-pngb.XXXXXX)
APP=0
cleanup() {
	if [ "$APP" -ne 0 ] && kill -0 "$APP" 2>/dev/null; then
		kill -TERM "$APP" 2>/dev/null
		sleep 1
		kill -KILL "$APP" 2>/dev/null || true
	fi
	scripts/testbed.sh down >/dev/null 2>&1 || true
	rm -rf "$scratch" "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

key_id=""
kargs=()
if [ "$mode" != open ]; then
	key_id=$([ "$proto" = stamp ] && echo stamp-key || echo light-key)
	kargs=(-m "$mode" -k "$scratch/keys.yaml" -u "$key_id")
fi
umask 077
printf 'secrets:\n  light-key: %s\n  stamp-key: %s\n' $LIGHT_KEY $STAMP_KEY >"$scratch/keys.yaml"
cat >"$scratch/refl.yaml" <<EOF
eal: [--no-huge, -m, "256", --no-pci, --no-shconf, --file-prefix, $PREFIX,
      -l, "0-1", --log-level, "lib.eal:notice"]
ports:
  - {name: refl, device: "net_af_packet0,iface=$TW_TB-dut", ipv4: [198.18.0.1/24]}
workers: {lcores: [1]}
reflector:
  control: {enabled: false, keys: keys.yaml}
  light:
    - {port: 8620, protocol: $([ "$proto" = stamp ] && echo stamp || echo twamp-light), mode: $mode$([ -n "$key_id" ] && echo ", key_id: $key_id")}
EOF
umask 022

scripts/testbed.sh down >/dev/null 2>&1 || true
scripts/testbed.sh up >/dev/null
ip netns exec "$TW_TB-dut" "$DP" -c "$scratch/refl.yaml" --idle-us "$idle" 2>"$scratch/app.err" &
APP=$!
for _ in $(seq 1 200); do
	grep -q "twamp-dp: running:" "$scratch/app.err" 2>/dev/null && break
	kill -0 "$APP" 2>/dev/null || { cat "$scratch/app.err" >&2; exit 1; }
	sleep 0.1
done
ip netns exec "$TW_TB-peer" ping -c 1 -W 2 198.18.0.1 >/dev/null

printf '%-9s %9s %7s %10s %10s %12s %12s %10s\n' rate sent lost rtt_p50_us rtt_p99_us dep_p50_us dep_p99_us stamp_us
best=0
rows=()
for rate in $rates; do
	out="$scratch/r$rate.json"
	ip netns exec "$TW_TB-peer" "$PING" --"$proto" "${kargs[@]}" -p 8620 -r "$rate" -d "$seconds" -L 1 \
		-q --no-progress --json "$out" 198.18.0.1 || true
	row=$(/usr/bin/python3 - "$out" "$rate" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["packets"]
x = d["twamp_ping"]
rtt = d["delay"]["rtt"]
dk = x["departure_kernel"] or x["departure_user"]
st = x["stamp_to_kernel_tx"] or {"p50_ns": 0}
lossfree = r["lost"] == 0 and x["send_errors"] == 0
print(json.dumps({"rate_pps": int(sys.argv[2]), "sent": r["sent"], "lost": r["lost"],
                  "send_errors": x["send_errors"], "loss_free": lossfree,
                  "rtt_p50_ns": rtt.get("median_ns", 0), "rtt_p99_ns": rtt.get("p99_ns", 0),
                  "departure_p50_ns": dk["p50_ns"], "departure_p99_ns": dk["p99_ns"],
                  "stamp_to_tx_p50_ns": st["p50_ns"]}))
EOF
)
	rows+=("$row")
	/usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("%-9d %9d %7d %10.1f %10.1f %12.1f %12.1f %10.1f%s" % (r["rate_pps"], r["sent"], r["lost"],
      r["rtt_p50_ns"] / 1e3, r["rtt_p99_ns"] / 1e3, r["departure_p50_ns"] / 1e3,
      r["departure_p99_ns"] / 1e3, r["stamp_to_tx_p50_ns"] / 1e3, "" if r["loss_free"] else "  (loss)"))' "$row"
	if /usr/bin/python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["loss_free"] else 1)' "$row"; then
		[ "$rate" -gt "$best" ] && best=$rate
	fi
done
echo "highest loss-free rate: $best pps ($proto $mode, ${seconds} s per rate, reflector --idle-us $idle)"
if [ -n "$json" ]; then
	printf '%s\n' "${rows[@]}" | /usr/bin/python3 -c 'import json,sys; json.dump([json.loads(l) for l in sys.stdin], open(sys.argv[1], "w"), indent=1)' "$json"
fi
