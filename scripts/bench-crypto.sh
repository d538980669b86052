#!/bin/sh
# Test-packet crypto micro-benchmark (docs/performance.md, "Test-packet crypto").
# usage: scripts/bench-crypto.sh [build dir] [packets per round] [rounds]
# Builds tests/bench/bench_crypto in the given build dir (default: build) and
# runs it pinned to one CPU; prints ns per reflected packet, best round.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
pkts=${2:-20000}
rounds=${3:-40}
[ -d "$build" ] || meson setup "$build" >/dev/null
ninja -C "$build" tests/bench/bench_crypto >/dev/null
cpu=$(($(nproc) - 1))
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
exec taskset -c "$cpu" "$build/tests/bench/bench_crypto" "$pkts" "$rounds"
