# Sourced by the scripts: run one step with its output in a log file, quietly
# when it works, and when it fails print its last lines and name the log, so
# that no failing step is ever hidden.
#
#   step "what it does" command args...
step_log_dir=${UVAWS_LOG_DIR:-${TMPDIR:-/tmp}/uvaws-logs}
step() {
  local what=$1; shift
  mkdir -p "$step_log_dir"
  local log
  log="$step_log_dir/$(printf '%s' "$what" | tr -c 'A-Za-z0-9' '-' | tr -s '-' | sed 's/-$//').log"
  local rc=0
  "$@" >"$log" 2>&1 || rc=$?
  [ "$rc" = 0 ] && return 0
  echo "FAILED: $what (exit $rc): $*" >&2
  echo "---- last lines of $log:" >&2
  tail -n 25 "$log" >&2
  echo "---- the whole log: $log" >&2
  return "$rc"
}
