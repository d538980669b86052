#!/bin/bash
# Session-Sender benchmark (docs/performance.md, "Sender"; issue 4 "Performance").
#
# usage: scripts/bench-sender.sh [--json FILE] [--seconds N] [--runs R]
#            [--cases "CASE ..."] [--rates "PPS ..."] [--build DIR] [--pages N]
#
# For every case (default: light-open light-auth light-enc stamp-open
# stamp-auth) and rate (default: 10000 1000000 0; 0 = as fast as the port
# takes them) it runs tests/bench/send/bench_send: one stream on a net_null
# port (TX frees the mbufs, like a NIC with an infinitely fast wire), the
# sender on lcore 1 with its own TX queue (sender.lcore), the main lcore
# draining the sent records like the control thread. Reported per run:
# achieved rate (packets over the span of their Sender Timestamps) and the
# departure error, actual minus scheduled TX time, p50/p99/max (for rate 0
# there is no schedule to meet: "-"), the share of the wall time the sender
# lcore was on a CPU ("cpu": on a shared machine others take some) and the
# packets per second of CPU time it got ("per-cpu", what one dedicated core
# would do at "max"). Hugepages with --in-memory: the script
# reserves --pages 2 MiB pages (default 512) and restores the old
# nr_hugepages on exit. --runs R repeats everything R times; the table shows
# medians. --json FILE writes one object per run.
# Needs root (hugepages). Ends only the processes it started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

json=""
seconds=3
runs=1
cases="light-open light-auth light-enc stamp-open stamp-auth"
rates="10000 1000000 0"
build=build
pages=512

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case "$1" in
	--json) json=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--runs) runs=$2; shift ;;
	--cases) cases=$2; shift ;;
	--rates) rates=$2; shift ;;
	--build) build=$2; shift ;;
	--pages) pages=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-sender: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "bench-sender: needs root (hugepages)" >&2; exit 2; }
if [ -n "$json" ]; then
	case "$json" in /*) ;; *) json=$top/$json ;; esac
fi

[ -d "$build" ] || meson setup "$build" >/dev/null
ninja -C "$build" tests/bench/send/bench_send >/dev/null
bench=$(cd "$build" && pwd)/tests/bench/send/bench_send

work=$(mktemp -d /tmp/bench-sender.XXXXXX)
. "$top/scripts/hugepages.sh"
child=""
prefix=twbench-snd-$$

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		kill -INT "$child" 2>/dev/null || true
		sleep 1
		kill -KILL "$child" 2>/dev/null || true
	fi
	hp_release
	rm -rf "/var/run/dpdk/$prefix" "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hp_reserve "$pages" bench-sender

echo "# $(date -u +%FT%TZ) $(uname -n), load average $(cut -d' ' -f1-3 /proc/loadavg), ${seconds} s per run"
for r in $(seq 1 "$runs"); do
	for c in $cases; do
		for rate in $rates; do
			"$bench" --in-memory -m 512 --no-pci --no-telemetry --file-prefix "$prefix" \
				-l 0-1 --log-level '*:error' -- "$c" "$rate" "$seconds" \
				>>"$work/runs.jsonl" 2>"$work/err" &
			child=$!
			if ! wait "$child"; then
				child=""
				echo "bench-sender: $c at $rate pps failed:" >&2
				cat "$work/err" >&2
				exit 1
			fi
			child=""
		done
	done
	echo "# run $r done" >&2
done

/usr/bin/python3 - "$work/runs.jsonl" "${json:-}" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
if sys.argv[2]:
    json.dump(runs, open(sys.argv[2], "w"), indent=1)
groups = {}
for r in runs:
    groups.setdefault((r["case"], r["rate_pps"]), []).append(r)
print("%-11s %8s %10s %11s %11s %11s %7s %8s" % ("case", "target", "achieved", "p50", "p99",
      "max", "cpu", "per-cpu"))
def us(v):
    return "%.2f us" % (v / 1000)
for (c, rate), g in groups.items():
    med = lambda k: statistics.median(x[k] for x in g)
    target = "max" if rate == 0 else "%d" % rate
    if rate == 0:
        p50 = p99 = mx = "-"
    else:
        p50, p99, mx = us(med("depart_p50_ns")), us(med("depart_p99_ns")), us(med("depart_max_ns"))
    print("%-11s %8s %8.3f M %11s %11s %11s %6.0f%% %6.2f M" % (c, target,
          med("achieved_pps") / 1e6, p50, p99, mx, 100 * med("cpu_share"),
          med("pps_per_cpu_s") / 1e6))
EOF
