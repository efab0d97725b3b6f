#!/bin/sh
# The SigV4 signing benchmark: uvaws (release build), the OpenSSL floor,
# libcurl's CURLOPT_AWS_SIGV4, and the peers (npm aws4, npm
# @smithy/signature-v4, botocore) on the same requests. Prints one table and writes it to bench/results/sigv4.txt, with
# every measurement as JSON lines in bench/results/sigv4.jsonl.
#
#   bench/run_sigv4.sh [--runs N] [--no-peers]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
build="$root/build-bench"
. "$bench/build.sh"
bench_runs_args "$@"
bench_build bench/bench_sigv4
[ "$peers" = 1 ] && bench_npm_ci

mkdir -p "$bench/results"
jsonl="$bench/results/sigv4.jsonl"
: >"$jsonl"
check="$bench/results/sigv4.check"
"$build/bench/bench_sigv4" --check >"$check"

echo "uvaws ..." >&2
"$build/bench/bench_sigv4" --json --runs "$runs" >>"$jsonl"
if [ "$peers" = 1 ]; then
  echo "aws4 ..." >&2
  node "$bench/peers/aws4.js" --json --runs "$runs" >>"$jsonl"
  echo "@smithy/signature-v4 ..." >&2
  node "$bench/peers/smithy.js" --json --runs "$runs" >>"$jsonl"
  echo "botocore ..." >&2
  /usr/bin/python3 "$bench/peers/botocore_peer.py" --json --runs "$runs" >>"$jsonl"
fi

/usr/bin/python3 "$bench/sigv4_table.py" "$jsonl" "$check" | tee "$bench/results/sigv4.txt"
