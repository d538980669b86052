#!/bin/bash
# IPsec benchmark (docs/performance.md, "IPsec"; issue 5 "Performance").
#
# usage: scripts/bench-ipsec.sh [--build DIR] [--seconds N] [--runs R]
#            [--warmup S] [--json FILE] [--cases "CASE ..."] [--count N]
#            [--pages N] [--keep] [--micro]
#
# Appliance mode (the default; needs root for hugepages). CASE: gcm128
# (ESP AES-GCM-128), cbc-sha256 (ESP AES-CBC-128 + HMAC-SHA256-128) and
# gcm128-udp (AES-GCM-128, ESP in UDP 4500, RFC 3948), tunnel mode, IPv4. A pcap of --count (default 1024) TWAMP-Light test
# packets over 4 flows (tests/bench/refl/gen_refl_pcap twamp-light-unauth,
# the clear benchmark's packets) is wrapped in ESP by scapy
# (tests/bench/ipsec/gen_esp_pcap.py, keys of tests/bench/ipsec/
# bench-keys.yaml, sequence numbers 1..N). Then, for each case, one after
# the other, each on one core:
#   a) bare librte_ipsec as a minimal forwarder on the same
#      net_pcap0,rx_pcap=FILE,infinite_rx=1 port (tests/unit/ipsec/
#      bench_ipsec --port PREFIX CASE SECONDS PCAP KEYS: rte_eth_rx_burst,
#      inbound session, MAC/address/port swap, outbound session,
#      rte_eth_tx_burst; lcore 1; 1 s warm-up): Mpps per second of the
#      thread's CPU time, the baseline of the ratio (issue 5: "on net_pcap
#      replay"); and, second column, the same loop in process without a port
#      (bench_ipsec CASE SECONDS PCAP KEYS: the pcap's frames copied into
#      fresh mbufs 32 at a time, freed after the encap);
#   b) twamp-dp (tests/bench/ipsec/appliance.yaml.in: static SAs with
#      replay_window 0, one worker on lcore 1) on
#      net_pcap0,rx_pcap=FILE,infinite_rx=1: the "tx" counter over --seconds
#      after --warmup per second of the worker thread's CPU time
#      (tests/bench/refl/dp_sample.py, as scripts/bench-reflector.sh), the
#      turnaround p50/p99 since start, and /twamp/ipsec/stats over the
#      window: every packet received must have been decrypted on the
#      inbound SA and sent on the outbound one (within 0.5 %: the two
#      counters are read one after the other), with no drop of any kind
#      (else the row says so and the script exits 1).
# --runs R repeats the sequence R times (cases interleaved); the table shows
# medians, the ratio of each run's pair (bare, then twamp-dp, one right after
# the other) and the worker's share of a CPU over its window: on a shared VM
# (vCPUs that may be hyperthreads of one core) the per-CPU-second rates of
# both sides drop with the neighbours' load, so compare the pairs of runs
# where the share is near 1. --json FILE writes one object per case. Hugepages through
# scripts/hugepages.sh (--pages, default 512), given back on exit and on
# SIGINT/SIGTERM, as is the scratch directory (kept with --keep).
#
# --micro: the earlier micro-benchmark instead (no root): bench_ipsec's own
# 32 frames through bare librte_ipsec and lib/ipsec's worker entry points
# (tw_ipsec_dp_inbound/outbound) in one process, no worker loop.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=build seconds=3 runs=3 warmup=1 json="" cases="gcm128 cbc-sha256 gcm128-udp"
count=1024 pages=512 keep=0 micro=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--runs) runs=$2; shift ;;
	--warmup) warmup=$2; shift ;;
	--json) json=$2; shift ;;
	--cases) cases=$2; shift ;;
	--count) count=$2; shift ;;
	--pages) pages=$2; shift ;;
	--keep) keep=1 ;;
	--micro) micro=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-ipsec: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
for c in $cases; do
	case "$c" in gcm128 | cbc-sha256 | gcm128-udp) ;; *) echo "bench-ipsec: unknown case $c" >&2; exit 2 ;; esac
done
if [ -n "$json" ]; then
	case "$json" in /*) ;; *) json=$top/$json ;; esac
fi
[ -d "$build" ] || meson setup "$build" >/dev/null
ninja -C "$build" tests/unit/ipsec/bench_ipsec tests/bench/refl/gen_refl_pcap \
	app/twamp-dp/twamp-dp >/dev/null
build=$(cd "$build" && pwd)
bin=$build/tests/unit/ipsec/bench_ipsec

if [ "$micro" = 1 ]; then
	printf '| case | bare librte_ipsec Mpps | lib/ipsec Mpps | ratio |\n|---|---|---|---|\n'
	for c in $cases; do
		for _ in $(seq 1 "$runs"); do "$bin" "$c" "$seconds" | tail -1; done |
		/usr/bin/python3 -c '
import statistics, sys
rows = [dict(kv.split("=") for kv in l.split()[1:]) for l in sys.stdin if "ratio=" in l]
med = lambda k: statistics.median(float(r[k]) for r in rows)
print("| %s | %.2f | %.2f | %.2f |" % (sys.argv[1], med("bare_librte_ipsec_mpps"),
      med("lib_ipsec_mpps"), med("ratio")))' "$c"
	done
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "bench-ipsec: needs root (hugepages); --micro does not" >&2; exit 2; }

# ---- clean-up: processes we started, hugepages, scratch --------------------
work=$(mktemp -d /tmp/bench-ipsec.XXXXXX)
. "$top/scripts/hugepages.sh"
. "$top/scripts/bench_lib.sh"
bench="bench-ipsec" child="" sampler=""
dp_prefix=bn-ipsec-dp-$$ bare_prefix=bn-ipsec-bare-$$
prefixes="$dp_prefix $bare_prefix"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

hp_reserve "$pages" bench-ipsec

# ---- input ---------------------------------------------------------------
cp tests/bench/ipsec/bench-keys.yaml "$work/bench-keys.yaml"
chmod 600 "$work/bench-keys.yaml"
"$build/tests/bench/refl/gen_refl_pcap" --case twamp-light-unauth --out "$work/clear.pcap" \
	--count "$count" --flows 4

# case -> config encap, cipher, auth, cipher key name, auth key name
case_params() {
	case "$1" in
	gcm128) echo "none aes-gcm-128 none esp-gcm -" ;;
	cbc-sha256) echo "none aes-cbc-128 hmac-sha256-128 esp-cbc esp-sha256" ;;
	gcm128-udp) echo "udp aes-gcm-128 none esp-gcm -" ;;
	esac
}

declare -A ckey akey
for c in $cases; do
	read -r encap cipher auth ck ak < <(case_params "$c")
	ckey[$c]=$(key_of "$ck")
	akey[$c]=""
	[ "$ak" = - ] || akey[$c]=$(key_of "$ak")
	args=(--in "$work/clear.pcap" --out "$work/$c.pcap" --case "$c" --cipher-key "${ckey[$c]}")
	[ -z "${akey[$c]}" ] || args+=(--auth-key "${akey[$c]}")
	/usr/bin/python3 tests/bench/ipsec/gen_esp_pcap.py "${args[@]}"
	sed -e "s|@PCAP@|$work/$c.pcap|" -e "s|@PREFIX@|$dp_prefix|" \
		-e "s|@ENCAP@|$encap|" -e "s|@CIPHER@|$cipher|" -e "s|@AUTH@|$auth|" -e "s|@CKEY@|$ck|" \
		-e "s|@AKEY@|$ak|" tests/bench/ipsec/appliance.yaml.in >"$work/$c.yaml"
	[ "$ak" != - ] || sed -i '/auth_key:/d' "$work/$c.yaml"
done

run_bare() {
	local c=$1
	# the forwarder on net_pcap (the baseline), then the in-process loop
	bare_res=$("$bin" --port "$bare_prefix" "$c" "$seconds" "$work/$c.pcap" "${ckey[$c]}" \
		${akey[$c]:+"${akey[$c]}"} 2>>"$work/bare.log" |
		sed -n 's/.*bare_port_mpps=\([0-9.]*\).*/\1/p') || true
	[ -n "$bare_res" ] || bare_res=nan
	inproc_res=$("$bin" "$c" "$seconds" "$work/$c.pcap" "${ckey[$c]}" ${akey[$c]:+"${akey[$c]}"} |
		sed -n 's/.*bare_librte_ipsec_mpps=\([0-9.]*\).*/\1/p')
	[ -n "$inproc_res" ] || inproc_res=nan
}

run_dp() {
	local c=$1 out=$work/$1.dp.$2.log
	"$build/app/twamp-dp/twamp-dp" -c "$work/$c.yaml" </dev/null >"$out" 2>&1 &
	child=$!
	sample_dp "$c" "$out" "$dp_prefix" twamp-dp --extra /twamp/ipsec/stats
}

results=$work/results.txt
: >"$results"
for r in $(seq 1 "$runs"); do
	for c in $cases; do
		run_bare "$c"
		run_dp "$c" "$r"
		echo "$r $c $bare_res $inproc_res $dp_res" >>"$results"
		echo "bench-ipsec: run $r $c: bare forwarder $bare_res Mpps, in process $inproc_res Mpps, twamp-dp $(echo "$dp_res" |
			/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("mpps_cpu"))') Mpps/cpu" >&2
	done
done

# ---- table and JSON -----------------------------------------------------------
/usr/bin/python3 - "$results" "$json" "$seconds" "$warmup" "$count" <<'EOF'
import json, statistics, sys

path, out, seconds, warmup, count = sys.argv[1:6]
rows, inp, order = {}, {}, []
for line in open(path):
    r, c, bare, inproc, d = line.split(" ", 4)
    if c not in rows:
        rows[c] = []
        inp[c] = []
        order.append(c)
    rows[c].append((None if bare == "nan" else float(bare), json.loads(d)))
    inp[c].append(None if inproc == "nan" else float(inproc))

def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None

def f(x, fmt="%.2f"):
    return "n/a" if x is None else fmt % x

names = {"gcm128": "ESP AES-GCM-128", "cbc-sha256": "ESP AES-CBC-128 + HMAC-SHA256-128",
         "gcm128-udp": "ESP-in-UDP AES-GCM-128"}
bad_keys = ("auth_fail", "replay_drop", "bad", "inner_drop", "no_reply_sa", "seq_overflow",
            "errors")
objs, failed = [], False
for c in order:
    problems = []
    for _, d in rows[c]:
        if d.get("error"):
            problems.append("no figures")
            continue
        ip = (d.get("extra") or {}).get("/twamp/ipsec/stats", {})
        dl, end = ip.get("delta", {}), ip.get("end", {})
        for k in bad_keys:
            for io in ("in_", "out_"):
                if end.get(io + k):
                    problems.append("%s%s %d" % (io, k, end[io + k]))
        for k, v in (d.get("delta") or {}).items():
            if k.startswith("drop_") and v:
                problems.append("%s %d" % (k, v))
        rx, tx = d["delta"].get("rx", 0), d["delta"].get("tx", 0)
        # /twamp/ipsec/stats is read right after /twamp/dp/stats, not at the
        # same instant: allow what the worker forwards between two reads
        slack = max(1024, rx // 200)
        if abs(dl.get("in_packets", 0) - rx) > slack:
            problems.append("decrypted %d of %d received" % (dl.get("in_packets", 0), rx))
        if abs(dl.get("out_packets", 0) - tx) > slack:
            problems.append("encrypted %d of %d sent" % (dl.get("out_packets", 0), tx))
    o = {
        "case": c,
        "name": names[c],
        "bare_mpps": med([b for b, _ in rows[c]]),
        "bare_inproc_mpps": med(inp[c]),
        "bare_inproc_mpps_runs": inp[c],
        "mpps_cpu": med([d.get("mpps_cpu") for _, d in rows[c]]),
        "mpps": med([d.get("mpps") for _, d in rows[c]]),
        "cpu_share": [d.get("cpu_share") for _, d in rows[c]],
        "runs": len(rows[c]),
        "bare_mpps_runs": [b for b, _ in rows[c]],
        "mpps_cpu_runs": [d.get("mpps_cpu") for _, d in rows[c]],
        "turnaround_ns": {k: med([(d.get("turnaround_ns") or {}).get(k) for _, d in rows[c]])
                          for k in ("p50", "p99", "max")},
        "ipsec_end": [((d.get("extra") or {}).get("/twamp/ipsec/stats") or {}).get("end")
                      for _, d in rows[c]],
        "problems": sorted(set(problems)),
        "ratio": None,
    }
    if o["mpps_cpu"] is not None and o["bare_mpps"]:
        o["ratio"] = round(o["mpps_cpu"] / o["bare_mpps"], 3)
    # the two measured one right after the other: the pair of one run
    o["ratio_runs"] = [None if b is None or d is None else round(d / b, 3)
                       for b, d in zip(o["bare_mpps_runs"], o["mpps_cpu_runs"])]
    failed = failed or bool(problems)
    objs.append(o)

print("# %d run(s); bare: %ss per run; twamp-dp: %ss window after %ss warm-up; %s packets "
      "in the pcap; medians; Mpps per second of CPU time of the forwarding thread"
      % (len(rows[order[0]]) if order else 0, seconds, seconds, warmup, count))
def rng(v, fmt="%.2f"):
    v = [x for x in v if x is not None]
    return "(%s-%s)" % (fmt % min(v), fmt % max(v)) if len(v) > 1 else ""

print("| case | bare librte_ipsec forwarder on net_pcap Mpps | twamp-dp Mpps | ratio "
      "| ratio per run | bare in process (no port) Mpps | twamp-dp wall Mpps "
      "| worker CPU share per run | p50 ns | p99 ns |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for o in objs:
    print("| %s | %s %s | %s %s | %s | %s | %s %s | %s | %s | %s | %s |" % (
        o["name"], f(o["bare_mpps"]), rng(o["bare_mpps_runs"]), f(o["mpps_cpu"]),
        rng(o["mpps_cpu_runs"]), f(o["ratio"]), " ".join(f(x) for x in o["ratio_runs"]),
        f(o["bare_inproc_mpps"]), rng(o["bare_inproc_mpps_runs"]), f(o["mpps"]), " ".join(f(x) for x in o["cpu_share"]),
        f(o["turnaround_ns"]["p50"], "%d"), f(o["turnaround_ns"]["p99"], "%d")))
    if o["problems"]:
        print("|  | NOT CLEAN: %s |" % ", ".join(o["problems"]))
if out:
    with open(out, "w") as fh:
        json.dump(objs, fh, indent=1)
        fh.write("\n")
sys.exit(1 if failed else 0)
EOF
