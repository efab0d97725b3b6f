#!/bin/sh
# The operation layer alone (bench_ops): checking and serializing a call's
# parameters and parsing its answer, for one operation of each body protocol
# (bench/peers/ops_cases.json), with botocore doing the same beside it.
# Prints one table and writes it to bench/results/ops.txt, every
# measurement as JSON lines in bench/results/ops.jsonl.
#
#   bench/run_ops.sh [--runs N] [--no-peers]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
build="$root/build-bench"
. "$bench/build.sh"
bench_runs_args "$@"
bench_build bench/bench_ops
cases="$bench/peers/ops_cases.json"
mkdir -p "$bench/results"
jsonl="$bench/results/ops.jsonl"
"$build/bench/bench_ops" --cases "$cases" --check >"$bench/results/ops.check"
echo "uvaws ..." >&2
"$build/bench/bench_ops" --cases "$cases" --runs "$runs" >"$jsonl"
: >"$bench/results/ops.botocore.check"
if [ "$peers" = 1 ]; then
  echo "botocore ..." >&2
  /usr/bin/python3 "$bench/peers/botocore_ops.py" --check >"$bench/results/ops.botocore.check"
  /usr/bin/python3 "$bench/peers/botocore_ops.py" --runs "$runs" >>"$jsonl"
fi
/usr/bin/python3 "$bench/ops_table.py" "$jsonl" "$bench/results/ops.check" \
  "$bench/results/ops.botocore.check" | tee "$bench/results/ops.txt"
