#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan+UBSan, build dir build-fuzz) and run
# every target for FUZZ_SECONDS (default 5) on a seed corpus of valid messages
# that the harness itself writes with lib/proto's encoders. Prints TAP, one test
# per target. Crashes are kept in build-fuzz/artifacts/ for reproduction:
#   TW_FUZZ_TARGET=name build-fuzz/tests/fuzz/fuzz_AREA build-fuzz/artifacts/crash-...
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
FB=${FUZZ_BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-5}

if [ ! -f "$FB/build.ninja" ]; then
  log=$(mktemp)
  CC=clang meson setup "$FB" -Dfuzz=true -Dwerror=true --buildtype=debugoptimized >"$log" 2>&1 \
    || { cat "$log"; rm -f "$log"; echo "not ok 1 - fuzz build setup"; exit 1; }
  rm -f "$log"
fi
if ! ninja -C "$FB" >"$FB/build.log" 2>&1; then
  tail -30 "$FB/build.log"; echo "not ok 1 - fuzz build"; exit 1
fi
mkdir -p "$FB/artifacts" "$FB/corpus"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

n=0
for bin in "$FB"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  area=$(basename "$bin")
  for target in $(TW_FUZZ_LIST=1 "$bin" 2>/dev/null); do
    n=$((n + 1))
    corpus="$FB/corpus/$area-$target"
    rm -rf "$corpus"; mkdir -p "$corpus"
    TW_FUZZ_TARGET=$target TW_FUZZ_SEEDS=$corpus "$bin" >/dev/null 2>&1
    log="$FB/corpus/$area-$target.log"
    if TW_FUZZ_TARGET=$target "$bin" -max_total_time="$SECS" -timeout=10 \
         -rss_limit_mb=2048 -print_final_stats=1 \
         -artifact_prefix="$FB/artifacts/$area-$target-" "$corpus" >"$log" 2>&1; then
      runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
      seeds=$(ls "$corpus" | wc -l)
      echo "ok $n - $area/$target (${runs:-?} execs in ${SECS}s, corpus $seeds)"
    else
      echo "not ok $n - $area/$target"
      grep -E 'ERROR|SUMMARY|invariant|artifact' "$log" | head -8 | sed 's/^/#   /'
    fi
  done
done
echo "1..$n"
[ "$n" -gt 0 ] || { echo "not ok 1 - no fuzz targets built"; exit 1; }
