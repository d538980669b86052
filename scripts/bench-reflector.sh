#!/bin/bash
# Reflector benchmark (docs/performance.md, "Reflector"; issue 3 "Performance").
#
# usage: scripts/bench-reflector.sh [--json FILE] [--seconds N] [--runs R]
#            [--warmup S] [--cases "CASE ..."] [--build DIR] [--pages N]
#            [--count N] [--dp twamp-dp|dp-swap] [--no-testpmd] [--keep]
#
# For every case (default: twamp-light-unauth twamp-light-auth
# twamp-light-enc stamp-unauth stamp-auth) it generates a pcap of valid
# Session-Sender packets (tests/bench/refl/gen_refl_pcap: --count packets,
# distinct sequence numbers, 4 flows; auth/enc signed and encrypted with
# tests/bench/refl/bench-keys.yaml) and runs, one after the other, never
# together, each on one forwarding lcore (lcore 1):
#   a) dpdk-testpmd --forward-mode=5tswap on
#      net_pcap0,rx_pcap=FILE,infinite_rx=1 (TX on the same port, which
#      net_pcap frees without a tx_pcap): Rx-pps, median of the 1 s periods
#      after --warmup;
#   b) twamp-dp -c (tests/bench/refl/reflector.yaml.in filled in) on the same
#      pcap with one worker: Mpps of the "tx" counter of /twamp/dp/stats over
#      --seconds after --warmup (tests/bench/refl/dp_sample.py reads the
#      telemetry socket), and the turnaround p50/p99/max of
#      /twamp/dp/turnaround (since start). --dp dp-swap measures
#      tests/integration/dp_exception --reflect-udp instead: the data-plane
#      worker loop with a swap-only handler (a baseline, not a reflector).
# Both use hugepages with --in-memory: the script reserves --pages 2 MiB
# pages (default 512) and restores the old nr_hugepages on exit.
# --runs R repeats the whole sequence R times (cases interleaved); the table
# shows the median and the min-max spread. --json FILE writes a JSON array
# with one object per case: case, mpps, testpmd_mpps, ratio,
# turnaround_ns {p50, p99, max} (medians over the runs), plus mpps_range,
# testpmd_mpps_range, the same per second of CPU time of the forwarding
# thread (mpps_cpu, testpmd_mpps_cpu, ratio_cpu: what a shared machine
# took away does not count), the worker's cpu_share of the window and the
# drops by reason (data plane and reflector counters; none expected).
# Needs root (hugepages). Ends only the processes it started, by PID;
# SIGINT/SIGTERM stop them, give the hugepages back and remove the scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

json=""
seconds=3
warmup=1
runs=1
cases="twamp-light-unauth twamp-light-auth twamp-light-enc stamp-unauth stamp-auth"
build=build
pages=512
count=1024
dp=twamp-dp
testpmd=1
keep=0

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case "$1" in
	--json) json=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--warmup) warmup=$2; shift ;;
	--runs) runs=$2; shift ;;
	--cases) cases=$2; shift ;;
	--build) build=$2; shift ;;
	--pages) pages=$2; shift ;;
	--count) count=$2; shift ;;
	--dp) dp=$2; shift ;;
	--no-testpmd) testpmd=0 ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-reflector: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
case "$dp" in twamp-dp | dp-swap) ;; *) echo "bench-reflector: --dp twamp-dp|dp-swap" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "bench-reflector: needs root (hugepages)" >&2; exit 2; }
if [ -n "$json" ]; then
	case "$json" in /*) ;; *) json=$top/$json ;; esac
fi

# ---- build ---------------------------------------------------------------
[ -d "$build" ] || meson setup "$build" >/dev/null
targets=tests/bench/refl/gen_refl_pcap
if [ "$dp" = twamp-dp ]; then
	targets="$targets app/twamp-dp/twamp-dp"
else
	targets="$targets tests/integration/dp_exception"
fi
# shellcheck disable=SC2086
ninja -C "$build" $targets >/dev/null
build=$(cd "$build" && pwd)
gen=$build/tests/bench/refl/gen_refl_pcap

# ---- clean-up: processes we started, hugepages, scratch --------------------
work=$(mktemp -d /tmp/bench-reflector.XXXXXX)
. "$top/scripts/hugepages.sh"
. "$top/scripts/bench_lib.sh"
bench="bench-reflector"
child=""
sampler=""
# EAL file prefixes of our own (telemetry socket, runtime dir): another run
# of this script on the machine must not answer our telemetry queries
dp_prefix=twbench-dp-$$
tp_prefix=twbench-tp-$$
prefixes="$dp_prefix $tp_prefix"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

hp_reserve "$pages" bench-reflector

# ---- input ---------------------------------------------------------------
cp tests/bench/refl/bench-keys.yaml "$work/bench-keys.yaml"
chmod 600 "$work/bench-keys.yaml"
light_key=$(key_of light-bench)
stamp_key=$(key_of stamp-bench)

# case -> protocol mode key_id key
case_params() {
	case "$1" in
	twamp-light-unauth) echo "twamp-light open - -" ;;
	twamp-light-auth) echo "twamp-light auth light-bench $light_key" ;;
	twamp-light-enc) echo "twamp-light enc light-bench $light_key" ;;
	stamp-unauth) echo "stamp open - -" ;;
	stamp-auth) echo "stamp auth stamp-bench $stamp_key" ;;
	*) return 1 ;;
	esac
}

for c in $cases; do
	read -r proto mode key_id key < <(case_params "$c") ||
		{ echo "bench-reflector: unknown case $c" >&2; exit 2; }
	args=(--case "$c" --out "$work/$c.pcap" --count "$count" --flows 4)
	[ "$key" = - ] || args+=(--key "$key")
	"$gen" "${args[@]}"
	sed -e "s|@PCAP@|$work/$c.pcap|" -e "s|@PROTO@|$proto|" -e "s|@PREFIX@|$dp_prefix|" \
		-e "s|@MODE@|$mode|" -e "s|@KEY_ID@|$key_id|" \
		tests/bench/refl/reflector.yaml.in >"$work/$c.yaml"
	[ "$key_id" != - ] || sed -i '/key_id:/d' "$work/$c.yaml"
done

# ---- one measurement each ----------------------------------------------------
# CPU time (ns) of the EAL worker thread of PID, empty if none.
worker_ns() {
	local t
	for t in /proc/"$1"/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in
		*worker*) cut -d' ' -f1 "$t/schedstat"; return ;;
		esac
	done
}

# Results in tp_res / dp_res (no subshells: the EXIT trap must see $child).
# testpmd: median Rx-pps of the periods after the warm-up (the first period
# printed is the one that started the forwarding).
run_testpmd() {
	local c=$1
	local out=$work/$c.testpmd.$2.log
	dpdk-testpmd -l 0-1 --in-memory --no-pci --file-prefix "$tp_prefix" \
		--vdev "net_pcap0,rx_pcap=$work/$c.pcap,infinite_rx=1" -- \
		--forward-mode=5tswap --nb-cores=1 --port-topology=loop \
		--stats-period 1 </dev/null >"$out" 2>&1 &
	child=$!
	nap "$(awk -v a="$warmup" -v b="$seconds" 'BEGIN { print a + b + 2.5 }')"
	cpu_ns=$(worker_ns "$child")
	stop_child "$child"
	child=""
	tp_res=$(python3 - "$out" "$warmup" "$cpu_ns" <<'EOF'
import re, statistics, sys
log = open(sys.argv[1], errors="replace").read()
v = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", log)][int(float(sys.argv[2])) + 1:]
# all packets forwarded / CPU time of the forwarding thread
tot = re.findall(r"Accumulated forward statistics.*?RX-packets:\s+(\d+)", log, re.S)
cpu = int(sys.argv[3] or 0)
print("%s %s" % ("%.3f" % (statistics.median(v) / 1e6) if v else "nan",
                 "%.3f" % (int(tot[0]) / cpu * 1e3) if tot and cpu else "nan"))
EOF
)
}

# twamp-dp (or the dp_exception baseline): telemetry over the window.
run_dp() {
	local c=$1 prefix=$dp_prefix
	local out=$work/$c.dp.$2.log
	if [ "$dp" = twamp-dp ]; then
		"$build/app/twamp-dp/twamp-dp" -c "$work/$c.yaml" </dev/null >"$out" 2>&1 &
	else
		"$build/tests/integration/dp_exception" -l 0-1 --in-memory --no-pci \
			--file-prefix $prefix -- \
			--device "net_pcap0,rx_pcap=$work/$c.pcap,infinite_rx=1" \
			--addr 198.18.0.1/24 --reflect-udp 862 --no-exception --idle-us 200 \
			</dev/null >"$out" 2>&1 &
	fi
	child=$!
	sample_dp "$c" "$out" "$prefix" "$dp"
}

# one line per measurement: run case testpmd_mpps dp_json
results=$work/results.txt
: >"$results"
for r in $(seq 1 "$runs"); do
	for c in $cases; do
		tp_res="nan nan"
		[ "$testpmd" = 0 ] || run_testpmd "$c" "$r"
		run_dp "$c" "$r"
		echo "$r $c $tp_res $dp_res" >>"$results"
		echo "bench-reflector: run $r $c: testpmd ${tp_res% *} Mpps, $dp $(echo "$dp_res" |
			python3 -c 'import json,sys; print(json.load(sys.stdin).get("mpps"))') Mpps" >&2
	done
done

# ---- table and JSON -----------------------------------------------------------
python3 - "$results" "$json" "$dp" "$seconds" "$warmup" "$count" <<'EOF'
import json, statistics, sys

path, out, dp, seconds, warmup, count = sys.argv[1:7]
rows, order = {}, []
for line in open(path):
    r, c, tp, tpc, d = line.split(" ", 4)
    if c not in rows:
        rows[c] = []
        order.append(c)
    d = json.loads(d)
    d["testpmd_cpu"] = None if tpc == "nan" else float(tpc)
    rows[c].append((None if tp == "nan" else float(tp), d))

def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None

def span(v):
    v = [x for x in v if x is not None]
    return [min(v), max(v)] if v else None

def f(x, fmt="%.2f"):
    return "n/a" if x is None else fmt % x

objs = []
for c in order:
    tps = [t for t, _ in rows[c]]
    mp = [d.get("mpps") for _, d in rows[c]]
    ta = {k: med([(d.get("turnaround_ns") or {}).get(k) for _, d in rows[c]])
          for k in ("p50", "p99", "max")}
    drops = {}
    for _, d in rows[c]:
        for k, v in (d.get("delta") or {}).items():
            if k.startswith("drop_") and v:
                drops[k] = drops.get(k, 0) + v
        for k, v in (d.get("refl_delta") or {}).items():
            if k not in ("rx", "tx", "last_rx", "next_seq") and v:
                drops["refl_" + k] = drops.get("refl_" + k, 0) + v
    o = {
        "case": c,
        "mpps": med(mp),
        "testpmd_mpps": med(tps),
        "ratio": None,
        "turnaround_ns": {k: (None if v is None else int(v)) for k, v in ta.items()},
        "runs": len(rows[c]),
        "mpps_range": span(mp),
        "testpmd_mpps_range": span(tps),
        "rx_mpps": med([d.get("rx_mpps") for _, d in rows[c]]),
        # per second of CPU time of the forwarding thread (robust to a busy machine)
        "mpps_cpu": med([d.get("mpps_cpu") for _, d in rows[c]]),
        "testpmd_mpps_cpu": med([d.get("testpmd_cpu") for _, d in rows[c]]),
        "cpu_share": span([d.get("cpu_share") for _, d in rows[c]]),
        "drops": drops,
        "dp": dp,
    }
    if o["mpps"] is not None and o["testpmd_mpps"]:
        o["ratio"] = round(o["mpps"] / o["testpmd_mpps"], 3)
    if o["mpps_cpu"] is not None and o["testpmd_mpps_cpu"]:
        o["ratio_cpu"] = round(o["mpps_cpu"] / o["testpmd_mpps_cpu"], 3)
    objs.append(o)

def mm(v, r):
    if v is None:
        return "n/a"
    return "%.2f (%.1f-%.1f)" % (v, r[0], r[1]) if r and r[0] != r[1] else f(v)

fmt = "%-19s %18s %18s %5s %7s %7s %6s %7s %7s %9s"
print("# %s run(s), %ss window after %ss warm-up, %s packets in the pcap; "
      "median (min-max) over the runs" % (len(rows[order[0]]) if order else 0,
                                        seconds, warmup, count))
print("# Mpps: wall clock; /cpu: per second of CPU time of the forwarding thread")
print(fmt % ("case", dp + " Mpps", "testpmd Mpps", "ratio", dp[:5] + "/cpu",
             "tpmd/cpu", "ratio", "p50 ns", "p99 ns", "max ns"))
for o in objs:
    print(fmt % (
        o["case"], mm(o["mpps"], o["mpps_range"]),
        mm(o["testpmd_mpps"], o["testpmd_mpps_range"]), f(o["ratio"]),
        f(o["mpps_cpu"]), f(o["testpmd_mpps_cpu"]), f(o.get("ratio_cpu")),
        f(o["turnaround_ns"]["p50"], "%d"), f(o["turnaround_ns"]["p99"], "%d"),
        f(o["turnaround_ns"]["max"], "%d")))
    if o["drops"]:
        print("%-19s drops: %s" % ("", ", ".join("%s %d" % kv for kv in o["drops"].items())))
if out:
    with open(out, "w") as fh:
        json.dump(objs, fh, indent=1)
        fh.write("\n")
EOF
