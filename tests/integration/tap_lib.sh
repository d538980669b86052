# Sourced by tests/integration/test_sender*.sh: TAP output helpers.
#   ok NAME / notok NAME     one numbered line; FAILED counts the failures
#   check NAME CMD...        ok when CMD succeeds; on failure the last lines
#                            of its output, as TAP comments
#   stop_pids PID...         SIGTERM each PID still alive (0 = none), SIGKILL
#                            a second later: only processes the test started
# The caller sets LOG (a scratch directory) before calling check.
N=0 FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
check() {
  local name=$1
  shift
  if "$@" >>"$LOG/steps" 2>&1; then ok "$name"; else
    notok "$name"
    sed 's/^/# /' "$LOG/steps" | tail -5
  fi
  : >"$LOG/steps"
}
# the plan, and the exit status: 0 when nothing failed
finish() { echo "1..$N"; [ "$FAILED" -eq 0 ]; }
stop_pids() {
  local p
  for p in "$@"; do
    if [ "$p" -ne 0 ] && kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null
      sleep 1
      kill -KILL "$p" 2>/dev/null
    fi
  done
  return 0
}
