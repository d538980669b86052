#!/usr/bin/env bash
# tshark as an independent decoder: every pcap_* program in BUILD/tests/tshark
# writes OUTDIR/<name>.pcap with what lib/proto encoded and OUTDIR/<name>.expect
# with the values it encoded; check.py has tshark decode the capture and compares
# field by field. Prints TAP, one test per frame.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
if ! command -v tshark >/dev/null; then
  echo "not ok 1 - tshark not installed (scripts/setup.sh installs it)"; exit 1
fi
# tshark prints times in local time; generators and tshark agree on UTC.
export TZ=UTC
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for gen in "$BUILD"/tests/tshark/pcap_*; do
  [ -f "$gen" ] && [ -x "$gen" ] || continue
  if ! "$gen" "$out" >"$out/$(basename "$gen").log" 2>&1; then
    echo "not ok - $(basename "$gen") failed:"; sed 's/^/# /' "$out/$(basename "$gen").log"
  fi
done
/usr/bin/python3 "$top/tests/tshark/check.py" "$out"
