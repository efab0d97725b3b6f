#!/usr/bin/env bash
# Runs every uvaws test: installs what is missing, then builds and runs the
# suite twice (plain, and under AddressSanitizer + UndefinedBehaviorSanitizer),
# the multi-threaded test a third time under ThreadSanitizer, checks the
# exported ABI against abi/libuvaws.abi (scripts/abi-check.sh, docs/abi.md),
# runs each fuzz target briefly on its seed corpus, and ends with one line
# "N passed, N failed, N skipped" counting every test case. With --fresh it
# also runs the demo and the README's install steps in a pristine Debian 12
# root (../shared/fresh-run.sh; a few minutes), as CI does.
#
# Mutation testing (scripts/mutate.sh): by default a smoke of the few mutants
# marked `smoke` in test/mutants.txt, with the whole list checked for stale
# snippets (about 20 s once build-mutate/ exists); --mutate runs every mutant
# instead (about 25 minutes, 90% to pass); --no-mutate neither.
#
#   scripts/test.sh [--fresh] [--valgrind] [--no-asan] [--no-fuzz] [--fuzz-seconds N]
#                   [--mutate | --no-mutate]
#   environment: UVAWS_SOAK_SIZE (larger soak), UVAWS_SIGV4_SUITE (suite path)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. scripts/step.sh

valgrind=0 asan=1 fuzz=1 fresh=0 mutate=smoke fuzz_seconds=${UVAWS_FUZZ_SECONDS:-5}
while [ $# -gt 0 ]; do
  case "$1" in
    --valgrind) valgrind=1 ;;
    --fresh) fresh=1 ;;
    --no-asan) asan=0 ;;
    --no-fuzz) fuzz=0 ;;
    --fuzz-seconds) fuzz_seconds=$2; shift ;;
    --mutate) mutate=full ;;
    --no-mutate) mutate=none ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

scripts/setup.sh build test
scripts/npm-peers.sh test/peers

results=()
steps_log=$(mktemp)
# A build that fails counts as a failed test, never as nothing to count.
run_suite() { # name, build dir, meson setup args...
  local name=$1 dir=$2; shift 2
  if [ ! -f "$dir/build.ninja" ] &&
     ! step "meson setup $dir" meson setup "$dir" -Dwerror=true -Dtests=enabled "$@"; then
    echo "build: $name FAILED (meson setup)" | tee -a "$steps_log"
    return 0
  fi
  echo "== $name: build"
  if ! step "ninja -C $dir" ninja -C "$dir" ${only_targets[@]+"${only_targets[@]}"}; then
    echo "build: $name FAILED (ninja)" | tee -a "$steps_log"
    return 0
  fi
  echo "== $name: test"
  rm -f "$dir/meson-logs/testlog.json" # never count an earlier run's results
  meson test -C "$dir" --print-errorlogs "${extra_test_args[@]}" --no-rebuild \
    ${only_tests[@]+"${only_tests[@]}"} || true
  results+=("$dir/meson-logs/testlog.json")
}

extra_test_args=() only_targets=() only_tests=()
run_suite plain build
if [ "$asan" = 1 ]; then
  # detect_leaks: leaks are failures; abort_on_error keeps the report in the log.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite asan build-asan -Db_sanitize=address,undefined -Db_lundef=false
fi
# ThreadSanitizer over what runs on several threads (uvaws_fetch_threadsafe).
only_targets=(test/test_threads) only_tests=(threads)
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  run_suite tsan build-tsan -Db_sanitize=thread -Db_lundef=false -Dbench=disabled
only_targets=() only_tests=()
if [ "$valgrind" = 1 ]; then
  extra_test_args=(--suite unit --wrapper 'valgrind --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect -q')
  run_suite valgrind build
  extra_test_args=()
fi

# The exported ABI against the committed baseline (docs/abi.md): a break
# that the SONAME does not announce fails, as in CI.
abi_log=$(mktemp)
echo "== abi: scripts/abi-check.sh build"
scripts/abi-check.sh build | tail -n 20 | tee "$abi_log" || true
grep -q '^abi: ' "$abi_log" || echo "abi: libuvaws FAILED (no verdict from scripts/abi-check.sh)" >>"$abi_log"

fuzz_log=
if [ "$fuzz" = 1 ] && [ -x scripts/fuzz.sh ]; then
  echo "== fuzz: ${fuzz_seconds}s per target"
  fuzz_log=$(mktemp)
  set +e
  scripts/fuzz.sh "$fuzz_seconds" 2>&1 | tee "$fuzz_log"
  fuzz_rc=${PIPESTATUS[0]}
  set -e
  # A build that breaks before any target runs must count too.
  if [ "$fuzz_rc" != 0 ] && ! grep -q '^fuzz: .* FAILED' "$fuzz_log"; then
    echo "fuzz: scripts/fuzz.sh FAILED (exit $fuzz_rc)" | tee -a "$fuzz_log"
  fi
fi

mutate_log=
if [ "$mutate" != none ]; then
  echo "== mutate: $mutate"
  mutate_log=$(mktemp)
  mutate_rc=0
  if [ "$mutate" = full ]; then
    scripts/mutate.sh || mutate_rc=$?
  else
    scripts/mutate.sh --smoke || mutate_rc=$?
  fi
  if [ "$mutate_rc" = 0 ]; then
    echo "mutate: $mutate ok" >"$mutate_log"
  else
    echo "mutate: $mutate FAILED (scripts/mutate.sh exit $mutate_rc)" | tee "$mutate_log"
  fi
fi

fresh_log=
if [ "$fresh" = 1 ]; then
  fresh_log=$(mktemp)
  scripts/fresh-check.sh | tee "$fresh_log"
fi

/usr/bin/python3 scripts/count_tests.py "${results[@]}" --result-log "$steps_log" \
  --result-log "$abi_log" ${fuzz_log:+--result-log "$fuzz_log"} ${mutate_log:+--result-log "$mutate_log"} \
  ${fresh_log:+--result-log "$fresh_log"}
