#!/usr/bin/env bash
# Run every test suite and print one last line "N passed, N failed" counted over
# all of them. Builds first (scripts/setup.sh when the build is missing).
#
# Every suite prints TAP ("ok N - name" / "not ok N - name"); this script counts
# those lines. A suite that dies without reporting counts as one failure.
#
#   scripts/test.sh                 all suites
#   scripts/test.sh unit golden     only those suites
#   FUZZ_SECONDS=30 scripts/test.sh fuzz
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
export BUILD

if [ ! -f "$BUILD/build.ninja" ]; then
  scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C "$BUILD" >"$BUILD/test-build.log" 2>&1; then
  tail -40 "$BUILD/test-build.log"
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

total_pass=0
total_fail=0
total_skip=0
failed_names=()

# run_suite NAME CMD...: run CMD, echo its output, count its TAP lines.
run_suite() {
  local name=$1; shift
  local out rc pass fail skip plan
  out=$(mktemp)
  echo "== $name: $*"
  "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  # "# SKIP" counts as skipped whether it follows "ok" or (cmocka) "not ok"
  skip=$(grep -cE '^(not )?ok [0-9]+.*# SKIP' "$out")
  pass=$(grep -E '^ok [0-9]+' "$out" | grep -cv '# SKIP')
  fail=$(grep -E '^not ok [0-9]+' "$out" | grep -cv '# SKIP')
  plan=$(grep -oE '^1\.\.[0-9]+' "$out" | tail -1 | cut -d. -f3)
  if [ -n "$plan" ] && [ $((pass + fail + skip)) -lt "$plan" ]; then
    echo "# $name: $((plan - pass - fail - skip)) planned tests did not report"
    fail=$((plan - pass - skip))
  fi
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    echo "# $name: exited $rc without a failing test: counted as one failure"
    fail=1
  fi
  [ "$fail" -gt 0 ] && failed_names+=("$name ($fail)")
  echo "== $name: $pass passed, $fail failed, $skip skipped"
  total_skip=$((total_skip + skip))
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  rm -f "$out"
}

suites=("$@")
sel() { [ ${#suites[@]} -eq 0 ] && return 0; local s; for s in "${suites[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

if sel unit; then
  while IFS= read -r t; do
    CMOCKA_MESSAGE_OUTPUT=TAP run_suite "unit/$(basename "$t")" "$t"
  done < <(find "$BUILD/tests/unit" -type f -executable -name 'test_*' | sort)
fi
if sel golden && [ -x tests/golden/run.sh ]; then
  run_suite golden tests/golden/run.sh "$BUILD"
fi
if sel tshark && [ -x tests/tshark/run.sh ]; then
  run_suite tshark tests/tshark/run.sh "$BUILD"
fi
if sel fuzz && [ -x scripts/fuzz.sh ]; then
  run_suite fuzz scripts/fuzz.sh
fi
if sel integration && [ -d tests/integration ]; then
  for t in tests/integration/test_*.sh; do
    [ -x "$t" ] && run_suite "integration/$(basename "$t" .sh)" "$t" "$BUILD"
  done
fi

echo
if [ ${#failed_names[@]} -gt 0 ]; then
  echo "failing suites: ${failed_names[*]}"
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
