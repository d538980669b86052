#!/bin/sh
# Golden tests for `twamp-dp --check`, TAP on stdout.
#   tests/golden/run.sh BUILD_DIR
# bad/NAME.yaml must exit 1 with exactly bad/NAME.err on stderr;
# good/NAME.yaml must exit 0 with exactly good/NAME.out on stdout;
# every config/*.yaml must pass, and its output must check again to the same
# output (the dump loads back); config/keys.yaml must pass --check-keys.
# Paths in messages are relative to the repository root, where this runs.
set -u
build=${1:?usage: tests/golden/run.sh BUILD_DIR}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
bin=$build/app/twamp-dp/twamp-dp
cd "$(dirname "$0")/../.." || exit 1
[ -x "$bin" ] || { echo "Bail out! $bin not built"; exit 1; }

# git keeps no permission bits: make the key files private, except the one
# that checks the warning for a group/world readable key file
chmod 600 tests/golden/keys/*.yaml config/keys.yaml
chmod 644 tests/golden/keys/world-readable.yaml

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

result() { # ok? name diff-file
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[ -s "$3" ] && sed 's/^/# /' "$3"
	fi
}

for f in tests/golden/bad/*.yaml; do
	name=${f%.yaml}
	"$bin" --check "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	{
		[ $rc = 1 ] || echo "exit status $rc, expected 1"
		diff -u "$name.err" "$tmp/err"
	} >"$tmp/diff" 2>&1
	[ -s "$tmp/diff" ]; result $((1 - $?)) "bad/${name##*/}" "$tmp/diff"
done

for f in tests/golden/good/*.yaml; do
	name=${f%.yaml}
	"$bin" --check "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	{
		[ $rc = 0 ] || { echo "exit status $rc, expected 0"; cat "$tmp/err"; }
		diff -u "$name.out" "$tmp/out"
	} >"$tmp/diff" 2>&1
	[ -s "$tmp/diff" ]; result $((1 - $?)) "good/${name##*/}" "$tmp/diff"
done

# the dump of a config/ file must check again to itself (keys.yaml beside it)
mkdir -p "$tmp/rt" && cp -p config/keys.yaml "$tmp/rt/"
for f in config/*.yaml; do
	base=${f##*/}
	if [ "$base" = keys.yaml ]; then
		"$bin" --check-keys "$f" >"$tmp/out" 2>"$tmp/diff"
		rc=$?
		[ $rc = 0 ] || echo "exit status $rc" >>"$tmp/diff"
		result $rc "config/$base (--check-keys)" "$tmp/diff"
		continue
	fi
	"$bin" --check "$f" >"$tmp/rt/$base" 2>"$tmp/diff"
	rc=$?
	if [ $rc = 0 ]; then
		"$bin" --check "$tmp/rt/$base" >"$tmp/out" 2>>"$tmp/diff" &&
			diff -u "$tmp/rt/$base" "$tmp/out" >>"$tmp/diff" 2>&1
		rc=$?
	fi
	result $rc "config/$base" "$tmp/diff"
done

echo "1..$n"
[ $failed = 0 ]
