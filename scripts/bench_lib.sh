# shellcheck shell=bash
# Sourced by the twamp-dp benchmark scripts (bench-reflector.sh,
# bench-ipsec.sh), after scripts/hugepages.sh: the clean-up of what a run
# started and the twamp-dp telemetry sample. The caller sets
#   bench     its name, for messages
#   work      its scratch directory (removed on exit unless keep=1)
#   prefixes  the EAL file prefixes it uses (their /var/run/dpdk dirs go too)
#   child, sampler  the PIDs it started, or empty
# and installs:  trap bench_cleanup EXIT; trap 'exit 130' INT TERM

# Stop the process we started (SIGINT: clean DPDK shutdown), then force.
stop_child() {
	local pid=$1
	kill -INT "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "$bench: PID $pid did not stop on SIGINT; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# The EXIT trap: processes we started, hugepages, EAL runtime dirs, scratch.
bench_cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	[ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
	[ -z "$child" ] || stop_child "$child"
	# give back what we reserved, unless someone changed the count since
	hp_release
	for p in $prefixes; do
		rm -rf "/var/run/dpdk/$p"
	done
	if [ "$keep" = 1 ]; then
		echo "$bench: scratch kept in $work" >&2
	else
		rm -rf "$work"
	fi
	exit "$rc"
}

# Sleep in the background and wait: a signal's trap runs at once, not after.
nap() {
	sleep "$1" &
	wait $!
}

# The hex key named $1 in $work/bench-keys.yaml.
key_of() { sed -n "s/^ *$1: *\"\\([0-9a-f]*\\)\".*/\\1/p" "$work/bench-keys.yaml"; }

# sample_dp CASE LOG PREFIX NAME [dp_sample.py options]: the telemetry of
# the data plane $child (EAL prefix PREFIX, NAME in messages) over --seconds
# after --warmup (tests/bench/refl/dp_sample.py) into dp_res, then stop it.
# No subshell: the EXIT trap must see $child and $sampler.
# shellcheck disable=SC2034 # dp_res is for the caller
sample_dp() {
	local c=$1 out=$2 prefix=$3 name=$4
	shift 4
	/usr/bin/python3 tests/bench/refl/dp_sample.py \
		"/var/run/dpdk/$prefix/dpdk_telemetry.v2" --pid "$child" \
		--warmup "$warmup" --seconds "$seconds" --wait 20 "$@" \
		>"$work/sample.json" 2>>"$out" &
	sampler=$!
	if wait "$sampler"; then
		dp_res=$(cat "$work/sample.json")
	else
		dp_res='{"mpps": null, "error": true}'
		echo "$bench: $c: $name gave no figures; its output:" >&2
		tail -n 5 "$out" | sed 's/^/    /' >&2
	fi
	sampler=""
	stop_child "$child"
	child=""
}
