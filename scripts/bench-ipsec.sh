#!/bin/bash
# IPsec benchmark (docs/performance.md, "IPsec"; issue 5 "Performance").
#
# usage: scripts/bench-ipsec.sh [--build DIR] [--seconds N] [--runs R]
#
# For ESP-GCM-128 and ESP-CBC-128-HMAC-SHA256-128 (tunnel mode, IPv4, a
# TWAMP-Light-sized inner packet) runs tests/unit/ipsec/bench_ipsec: the same
# 32 ESP frames decapsulated, rewritten as the reflector does (MACs,
# addresses, ports swapped) and encapsulated again, per core, through
#   a) bare librte_ipsec (rte_ipsec_pkt_cpu_prepare/process on the inbound
#      and the outbound session, the L2 header kept aside by hand), and
#   b) lib/ipsec's worker entry points (tw_ipsec_dp_inbound: SA lookup,
#      checks, decap, L2 restored; tw_ipsec_dp_outbound: pairing, encap,
#      outer checksums, L2),
# alternating in 50 ms slices in one process; Mpps per second of the
# thread's CPU time. Prints the median over --runs of each and the ratio
# b/a (target >= 0.8). Not measured here: the worker loop and the reflector
# around it (see "Reflector" for those on net_pcap replay). No root needed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build seconds=3 runs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--runs) runs=$2; shift ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 2 ;;
	esac
	shift
done
bin=$build/tests/unit/ipsec/bench_ipsec
[ -x "$bin" ] || { echo "no $bin: build first (ninja -C $build)" >&2; exit 1; }
printf '| case | bare librte_ipsec Mpps | lib/ipsec Mpps | ratio |\n|---|---|---|---|\n'
for c in gcm128 cbc-sha256; do
	for _ in $(seq 1 "$runs"); do "$bin" "$c" "$seconds" | tail -1; done |
	/usr/bin/python3 -c '
import statistics, sys
rows = [dict(kv.split("=") for kv in l.split()[1:]) for l in sys.stdin if "ratio=" in l]
med = lambda k: statistics.median(float(r[k]) for r in rows)
print("| %s | %.2f | %.2f | %.2f |" % (sys.argv[1], med("bare_librte_ipsec_mpps"),
      med("lib_ipsec_mpps"), med("ratio")))' "$c"
done
