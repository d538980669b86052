#!/bin/bash
# IPsec benchmark (docs/performance.md, "IPsec"; issue 5 "Performance").
#
# usage: scripts/bench-ipsec.sh [--build DIR] [--seconds N] [--runs R]
#            [--warmup S] [--json FILE] [--cases "CASE ..."] [--count N]
#            [--sizes "SIZE ..."] [--pages N] [--keep] [--micro]
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
# --sizes "SIZE ...": a frame-size sweep (RFC 2544 §9: 64 128 256 512 1024
# 1280 1518). SIZE is an Ethernet frame size as RFC 2544 counts it, with the
# 4-octet FCS, so 1518 is the largest untagged frame (outer IPv4 packet 1500
# octets); or "min", the default and the only size without --sizes: the
# smallest TWAMP-Light packet as above. For each SIZE the TWAMP-Light test
# packet gets as much Packet Padding (RFC 5357 §4.1.2: gen_refl_pcap
# --padding, never less than the 27 octets that make the reply as long as
# the request, so both directions carry the same octets) as keeps the ESP
# frame within SIZE - 4 octets; ESP pads to 4 octets (GCM) or 16 (CBC), so
# the frame may be up to 15 octets shorter. The tables give that outer frame
# without FCS, as the pcap holds it (add 4 for the size on the wire). A SIZE
# below a case's smallest frame (GCM 142, ESP-in-UDP 150, CBC+HMAC 158 with
# FCS) or above 1518 is refused before anything runs. With --sizes a second
# table per case follows: bare and twamp-dp Mpps and ns per packet (1000 /
# Mpps per CPU second), the ratio and the difference in ns per packet, each
# the median over the runs' pairs.
#
# Not measured: anti-replay. twamp-dp's inbound SA and the bare forwarder's
# both run with the window off (replay_window 0, bench_ipsec no_replay), and
# there is no --replay option. With a window, net_pcap's infinite_rx replays
# the file's sequence numbers 1..N again on every pass, so from the second
# pass on every packet is a replay (RFC 4303 §3.4.3) and is dropped before
# its ICV is checked: what would be timed is the drop, not the decap. ESN
# does not help (a number below the window is taken as the next 2^32 cycle,
# and the ICV then fails, RFC 4303 Appendix A2.2). Fresh numbers for the
# whole window would need a pcap of rate x (warm-up + seconds) packets, 4 to
# 13 million, which infinite_rx loads into mbufs (tens of GB) and scapy
# encrypts at about a thousand a second; without infinite_rx net_pcap reads
# the file as it goes, another RX path than the one measured here.
#
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
count=1024 pages=512 keep=0 micro=0 sizes=min sweep=0
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
	--sizes) sizes=$2; sweep=1; shift ;;
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
# ESP tunnel frame octets (no FCS) of case $1 around a TWAMP-Light packet
# with $2 octets of Packet Padding: Ethernet 14, outer IPv4 20, (UDP 8),
# ESP header 8, IV (GCM 8, RFC 4106 §3.1; CBC 16, RFC 3602 §3), the inner
# IPv4 20 + UDP 8 + 14 + padding with the 2-octet trailer padded to 4 (GCM)
# or 16 (CBC) octets (RFC 4303 §2.4), ICV 16 (RFC 4106 §5, RFC 4868 §2.3)
frame_len() {
	local iv=8 align=4 udp=0 inner=$((20 + 8 + 14 + $2))
	case "$1" in
	cbc-sha256) iv=16 align=16 ;;
	gcm128-udp) udp=8 ;;
	esac
	echo $((14 + 20 + udp + 8 + iv + (inner + 2 + align - 1) / align * align + 16))
}
min_pad=27 # RFC 5357 §4.2.1: unauthenticated replies are 41 octets, requests 14 + padding
# padding_for CASE SIZE: the Packet Padding of the largest frame within
# SIZE - 4 octets (SIZE counts the FCS); "min": the smallest TWAMP packet
padding_for() {
	local c=$1 size=$2 lo hi mid
	[ "$size" != min ] || { echo "$min_pad"; return 0; }
	lo=$min_pad hi=1500
	[ "$(frame_len "$c" "$lo")" -le $((size - 4)) ] || return 1
	while [ "$lo" -lt "$hi" ]; do
		mid=$(((lo + hi + 1) / 2))
		if [ "$(frame_len "$c" "$mid")" -le $((size - 4)) ]; then lo=$mid; else hi=$((mid - 1)); fi
	done
	echo "$lo"
}
for z in $sizes; do
	case "$z" in
	min) ;;
	*[!0-9]* | '') echo "bench-ipsec: --sizes: $z is neither min nor a frame size in octets" >&2; exit 2 ;;
	*)
		if [ "$z" -gt 1518 ]; then
			echo "bench-ipsec: --sizes: $z: above 1518, the largest untagged Ethernet frame (MTU 1500)" >&2
			exit 2
		fi
		for c in $cases; do
			padding_for "$c" "$z" >/dev/null || {
				echo "bench-ipsec: --sizes: $z: $c's smallest ESP frame is $(($(frame_len "$c" "$min_pad") + 4)) octets with the FCS" >&2
				exit 2
			}
		done ;;
	esac
done
[ -n "$sizes" ] || { echo "bench-ipsec: --sizes: no size given" >&2; exit 2; }
if [ "$micro" = 1 ] && [ "$sweep" = 1 ]; then
	echo "bench-ipsec: --sizes is for the appliance mode; --micro uses bench_ipsec's own frames" >&2
	exit 2
fi
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
# one clear pcap per padding: the clear benchmark's packets, padded
clear_pcap() {
	local pad=$1 f=$work/clear.$1.pcap
	if [ ! -e "$f" ]; then
		if [ "$pad" = "$min_pad" ]; then
			# today's packets exactly (gen_refl_pcap's own equal padding)
			"$build/tests/bench/refl/gen_refl_pcap" --case twamp-light-unauth --out "$f" \
				--count "$count" --flows 4
		else
			"$build/tests/bench/refl/gen_refl_pcap" --case twamp-light-unauth --out "$f" \
				--count "$count" --flows 4 --padding "$pad"
		fi
	fi
	echo "$f"
}

# the first frame's length in a pcap (little-endian, as scapy writes it)
first_frame_len() {
	od -An -tu4 -j 32 -N 4 "$1" | tr -d ' '
}

# case -> config encap, cipher, auth, cipher key name, auth key name
case_params() {
	case "$1" in
	gcm128) echo "none aes-gcm-128 none esp-gcm -" ;;
	cbc-sha256) echo "none aes-cbc-128 hmac-sha256-128 esp-cbc esp-sha256" ;;
	gcm128-udp) echo "udp aes-gcm-128 none esp-gcm -" ;;
	esac
}

# per case and size ("$c.$z"): the ESP pcap, twamp-dp's YAML, the frame
declare -A ckey akey flen tpay
for c in $cases; do
	read -r encap cipher auth ck ak < <(case_params "$c")
	ckey[$c]=$(key_of "$ck")
	akey[$c]=""
	[ "$ak" = - ] || akey[$c]=$(key_of "$ak")
	for z in $sizes; do
		pad=$(padding_for "$c" "$z")
		args=(--in "$(clear_pcap "$pad")" --out "$work/$c.$z.pcap" --case "$c" --cipher-key "${ckey[$c]}")
		[ -z "${akey[$c]}" ] || args+=(--auth-key "${akey[$c]}")
		/usr/bin/python3 tests/bench/ipsec/gen_esp_pcap.py "${args[@]}"
		flen[$c.$z]=$(first_frame_len "$work/$c.$z.pcap") tpay[$c.$z]=$((14 + pad))
		if [ "${flen[$c.$z]}" != "$(frame_len "$c" "$pad")" ]; then
			echo "bench-ipsec: $c, size $z: scapy's frame is ${flen[$c.$z]} octets, expected $(frame_len "$c" "$pad")" >&2
			exit 1
		fi
		sed -e "s|@PCAP@|$work/$c.$z.pcap|" -e "s|@PREFIX@|$dp_prefix|" \
			-e "s|@ENCAP@|$encap|" -e "s|@CIPHER@|$cipher|" -e "s|@AUTH@|$auth|" -e "s|@CKEY@|$ck|" \
			-e "s|@AKEY@|$ak|" tests/bench/ipsec/appliance.yaml.in >"$work/$c.$z.yaml"
		[ "$ak" != - ] || sed -i '/auth_key:/d' "$work/$c.$z.yaml"
	done
done

# run_bare CASE SIZE
run_bare() {
	local c=$1 p=$work/$1.$2.pcap line wall
	# the forwarder on net_pcap (the baseline), then the in-process loop
	line=$("$bin" --port "$bare_prefix" "$c" "$seconds" "$p" "${ckey[$c]}" \
		${akey[$c]:+"${akey[$c]}"} 2>>"$work/bare.log") || true
	bare_res=$(echo "$line" | sed -n 's/.*bare_port_mpps=\([0-9.]*\).*/\1/p')
	[ -n "$bare_res" ] || bare_res=nan
	# the forwarder's share of a CPU: its wall rate over its CPU-time rate
	wall=$(echo "$line" | sed -n 's/.*wall_mpps=\([0-9.]*\).*/\1/p')
	bare_share=$(awk -v b="$bare_res" -v w="${wall:-nan}" \
		'BEGIN { if (b + 0 > 0 && w != "nan") printf "%.2f\n", w / b; else print "nan" }')
	inproc_res=$("$bin" "$c" "$seconds" "$p" "${ckey[$c]}" ${akey[$c]:+"${akey[$c]}"} |
		sed -n 's/.*bare_librte_ipsec_mpps=\([0-9.]*\).*/\1/p')
	[ -n "$inproc_res" ] || inproc_res=nan
}

# run_dp CASE SIZE RUN
run_dp() {
	local c=$1 out=$work/$1.$2.dp.$3.log
	"$build/app/twamp-dp/twamp-dp" -c "$work/$c.$2.yaml" </dev/null >"$out" 2>&1 &
	child=$!
	sample_dp "$c" "$out" "$dp_prefix" twamp-dp --extra /twamp/ipsec/stats
}

results=$work/results.txt
: >"$results"
for r in $(seq 1 "$runs"); do
	for c in $cases; do
		for z in $sizes; do
			run_bare "$c" "$z"
			run_dp "$c" "$z" "$r"
			echo "$r $c $z ${flen[$c.$z]} ${tpay[$c.$z]} $bare_res $bare_share $inproc_res $dp_res" >>"$results"
			echo "bench-ipsec: run $r $c ${flen[$c.$z]}-octet frames: bare forwarder $bare_res Mpps (CPU share $bare_share), in process $inproc_res Mpps, twamp-dp $(echo "$dp_res" |
				/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("mpps_cpu"))') Mpps/cpu" >&2
		done
	done
done

# ---- table and JSON -----------------------------------------------------------
/usr/bin/python3 - "$results" "$json" "$seconds" "$warmup" "$count" "$sweep" <<'EOF'
import json, statistics, sys

path, out, seconds, warmup, count, sweep = sys.argv[1:7]
sweep = sweep == "1"
# rows by (case, size): a run's pair (bare, twamp-dp sample)
rows, inp, order, flen, tpay, bsh = {}, {}, [], {}, {}, {}
for line in open(path):
    r, c, z, fl, pl, bare, bshare, inproc, d = line.split(" ", 8)
    k = (c, z)
    if k not in rows:
        rows[k] = []
        inp[k] = []
        order.append(k)
        flen[k] = int(fl)
        tpay[k] = int(pl)
    rows[k].append((None if bare == "nan" else float(bare), json.loads(d)))
    bsh.setdefault(k, []).append(None if bshare == "nan" else float(bshare))
    inp[k].append(None if inproc == "nan" else float(inproc))

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
for k in order:
    c, z = k
    problems = []
    for _, d in rows[k]:
        if d.get("error"):
            problems.append("no figures")
            continue
        ip = (d.get("extra") or {}).get("/twamp/ipsec/stats", {})
        dl, end = ip.get("delta", {}), ip.get("end", {})
        for b in bad_keys:
            for io in ("in_", "out_"):
                if end.get(io + b):
                    problems.append("%s%s %d" % (io, b, end[io + b]))
        for b, v in (d.get("delta") or {}).items():
            if b.startswith("drop_") and v:
                problems.append("%s %d" % (b, v))
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
        "name": names[c] + (", %d-octet frames" % flen[k] if sweep else ""),
        "size": z,
        "frame_len": flen[k],
        "payload": tpay[k],
        "bare_mpps": med([b for b, _ in rows[k]]),
        "bare_inproc_mpps": med(inp[k]),
        "bare_inproc_mpps_runs": inp[k],
        "mpps_cpu": med([d.get("mpps_cpu") for _, d in rows[k]]),
        "mpps": med([d.get("mpps") for _, d in rows[k]]),
        "cpu_share": [d.get("cpu_share") for _, d in rows[k]],
        "bare_cpu_share": bsh[k],
        "runs": len(rows[k]),
        "bare_mpps_runs": [b for b, _ in rows[k]],
        "mpps_cpu_runs": [d.get("mpps_cpu") for _, d in rows[k]],
        "turnaround_ns": {q: med([(d.get("turnaround_ns") or {}).get(q) for _, d in rows[k]])
                          for q in ("p50", "p99", "max")},
        "ipsec_end": [((d.get("extra") or {}).get("/twamp/ipsec/stats") or {}).get("end")
                      for _, d in rows[k]],
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
if sweep:
    print("# frames: the outer Ethernet frame without FCS (the pcap's octets; +4 on the wire)")
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

# the sweep: per case, ns per packet of each side (from the median rates);
# the ratio and the difference are medians over the runs' pairs (bare, then
# twamp-dp, one right after the other): one disturbed run does not skew them
ns = lambda m: None if not m else 1000.0 / m

def pair_med(o, fn):
    v = [fn(b, d) for b, d in zip(o["bare_mpps_runs"], o["mpps_cpu_runs"]) if b and d]
    return statistics.median(v) if v else None

if sweep:
    for c in dict.fromkeys(o["case"] for o in objs):
        print()
        print("%s: frame sizes (outer Ethernet frame without FCS; Mpps medians; ns per packet "
              "= 1000 / Mpps per CPU second; ratio and difference: medians of the runs' pairs)"
              % names[c])
        print("| frame octets (+4 FCS) | TWAMP-Light payload octets | bare Mpps | bare ns/pkt "
              "| twamp-dp Mpps | twamp-dp ns/pkt | ratio | ratio per run "
              "| twamp-dp - bare ns/pkt | CPU share per run, bare / twamp-dp |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for o in objs:
            if o["case"] != c:
                continue
            o["bare_ns"], o["ns"] = ns(o["bare_mpps"]), ns(o["mpps_cpu"])
            o["pair_ratio"] = pair_med(o, lambda b, d: d / b)
            o["diff_ns"] = pair_med(o, lambda b, d: 1000.0 / d - 1000.0 / b)
            print("| %d (%d) | %s | %s | %s | %s | %s | %s | %s | %s | %s |%s" % (
                o["frame_len"], o["frame_len"] + 4, o.get("payload", "n/a"),
                f(o["bare_mpps"]), f(o["bare_ns"], "%.0f"), f(o["mpps_cpu"]),
                f(o["ns"], "%.0f"), f(o["pair_ratio"]),
                " ".join(f(x) for x in o["ratio_runs"]), f(o["diff_ns"], "%+.0f"),
                " ".join("%s/%s" % (f(b), f(d)) for b, d in zip(o["bare_cpu_share"], o["cpu_share"])),
                " NOT CLEAN" if o["problems"] else ""))
if out:
    with open(out, "w") as fh:
        json.dump(objs, fh, indent=1)
        fh.write("\n")
sys.exit(1 if failed else 0)
EOF
